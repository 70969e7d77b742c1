"""A virtual ESC/POS printer: reads what the driver sends and renders the paper to PNG.

It understands the command subset our encoder and python-escpos emit (ESC @ a E ! d J M - t 2 3,
GS ! v0 (k V B, FS & . ! W, DLE EOT/ENQ), skips other commands by their known length and counts
unknown bytes. With a presenter (``presenter="gs_e"`` or ``"custom"``) a cut paper waits at the
mouth until the citizen takes it (:meth:`PrinterSimulator.take`), a retract (GS e 2) pulls it in, an
eject (GS e 5) pushes it out, and GS e 6 / DLE EOT 20 answer whether paper waits there; the fault
``retract_jam`` makes the next retract jam with the paper still at the mouth. Chinese mode is off
after power-up here, so a driver that forgets FS & prints mojibake, as a strict printer would. It
keeps the status it is told and answers DLE EOT with the bit layout of reference §2.4; while it
cannot print, data is swallowed and nothing comes out.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from devices.fonts import cjk_font
from devices.printer.layout import char_columns
from devices.printer.presenter import PresenterKind, presenter_reply
from devices.printer.printer_profile import DOTS
from devices.printer.status import status_bytes
from devices.simport import SimPort, known_fault

BASE_PX = 24
LINE_GAP = 6


@dataclass
class _Style:
    align: int = 0
    bold: bool = False
    width: int = 1
    height: int = 1
    chinese: bool = False


# Bytes after ESC x / GS x / FS x for fixed-length commands we accept but do not render.
_ESC_SKIP = {b"M": 1, b"-": 1, b"t": 1, b"2": 0, b"3": 1, b"B": 2, b"G": 1, b"V": 1, b"{": 1, b"p": 3,
             b"R": 1, b"c": 2, b"=": 1, b" ": 1, b"U": 1}
_GS_SKIP = {b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"b": 1, b"a": 1, b"L": 2, b"W": 2, b"P": 2}
_FS_SKIP = {b"W": 1, b"-": 1, b"S": 2, b"C": 1}


class EscposPaper:
    """Pure interpreter: feed bytes, get replies; finished pages (cut) are PIL images."""

    def __init__(self, paper_mm: int = 80, presenter: str = "none") -> None:
        self.width = DOTS[paper_mm]
        self.presenter = PresenterKind(presenter)
        self.at_mouth = False          # a cut paper waits at the presenter's mouth
        self.presenter_jammed = False  # a retract jammed: the paper is stuck at the mouth
        self.retract_jam = False       # fault: the next retract jams
        self.presenter_log: list[bytes] = []   # every presenter command received, as sent
        self.taken = self.retracted = self.ejected = self.pushed_out = 0
        self._auto_retract_at: float | None = None
        self.status = {"offline": False, "cover_open": False, "paper_near_end": False, "paper_out": False,
                       "cutter_error": False}
        self.pages: list[Image.Image] = []
        self.unknown = 0
        self.cuts = 0
        self.lines: list[str] = []  # the text of every printed line, for tests that read the paper
        self._buf = bytearray()
        self._replies = bytearray()
        self._rows: list[Image.Image] = []
        self._line: list[tuple[bytes, _Style]] = []
        self._style = _Style()
        self._qr_data = b""
        self._qr_module = 3

    # -- status -------------------------------------------------------------------------------
    @property
    def can_print(self) -> bool:
        s = self.status
        return not (s["offline"] or s["cover_open"] or s["paper_out"] or s["cutter_error"])

    def status_reply(self, n: int) -> bytes:
        if n == 20 and self.presenter is PresenterKind.CUSTOM:
            return self.presenter_status()
        table = status_bytes(**self.status)
        return bytes([table[n]]) if n in table else b""

    # -- presenter ----------------------------------------------------------------------------
    def presenter_status(self) -> bytes:
        self.tick()
        return presenter_reply(self.presenter, waiting=self.at_mouth, jammed=self.presenter_jammed,
                               paper_out=self.status["paper_out"], paper_near_end=self.status["paper_near_end"])

    def tick(self) -> None:
        """The printer's own retract timer (FS P … 'R' n4) running out."""
        if self._auto_retract_at is not None and time.monotonic() >= self._auto_retract_at:
            self._auto_retract_at = None
            self.retract()

    def retract(self) -> None:
        self._auto_retract_at = None
        if not self.at_mouth or self.presenter_jammed:
            return
        if self.retract_jam:
            self.presenter_jammed = True   # half way in: stuck at the mouth
            return
        self.at_mouth = False
        self.retracted += 1

    def eject(self) -> None:
        self._auto_retract_at = None
        if self.at_mouth and not self.presenter_jammed:
            self.at_mouth = False
            self.ejected += 1

    def take(self) -> bool:
        """The citizen pulls the paper out of the mouth (False: nothing there, or it is jammed)."""
        self.tick()
        if not self.at_mouth or self.presenter_jammed:
            return False
        self.at_mouth = False
        self._auto_retract_at = None
        self.taken += 1
        return True

    def _ejector(self, b: bytearray, i: int) -> int | None:
        """GS e n [m]: 2 retract, 3 m present, 5 eject, 6 status byte (others: 18/20 loop mode)."""
        if not self._need(b, i, 3):
            return None
        n = b[i + 2]
        end = i + 4 if n in (3, 32) else i + 3
        if n == 32:
            end += 1
        if end > len(b):
            return None
        if self.presenter is PresenterKind.NONE:
            self.unknown += 1
            return end
        self.presenter_log.append(bytes(b[i:end]))
        if n == 2:
            self.retract()
        elif n == 5:
            self.eject()
        elif n == 6:
            self._replies += presenter_reply(PresenterKind.GS_E, waiting=self.at_mouth,
                                             jammed=self.presenter_jammed,
                                             paper_near_end=self.status["paper_near_end"])
        return end

    def _present_custom(self, b: bytearray, i: int) -> int | None:
        """FS P n1 n2 n3 n4: present n1 steps, LED n2, then n3 ('R'/'E') after n4 seconds."""
        if not self._need(b, i, 6):
            return None
        if self.presenter is not PresenterKind.CUSTOM:
            self.unknown += 1
            return i + 6
        self.presenter_log.append(bytes(b[i:i + 6]))
        action, seconds = b[i + 4], b[i + 5]
        if seconds and action == ord("R"):
            self._auto_retract_at = time.monotonic() + seconds
        return i + 6

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        """Interpret bytes; return what the printer answers (status bytes)."""
        self.tick()
        self._buf += data
        replies = bytearray()
        self._replies = replies
        i = 0
        buf = self._buf
        while i < len(buf):
            step = self._step(buf, i, replies)
            if step is None:      # command incomplete: wait for more bytes
                break
            i = step
        del self._buf[:i]
        return bytes(replies)

    def _step(self, b: bytearray, i: int, replies: bytearray) -> int | None:
        c = b[i]
        if c == 0x0A:
            self._flush_line()
            return i + 1
        if c == 0x0D:
            return i + 1
        if c == 0x10:
            if i + 2 >= len(b):
                return None
            if b[i + 1] == 0x04:
                replies += self.status_reply(b[i + 2])
            elif b[i + 1] == 0x05 and b[i + 2] in (1, 2):
                self.status["cutter_error"] = False   # DLE ENQ: recover after the fault is fixed
            return i + 3
        if c in (0x1B, 0x1D, 0x1C):
            if i + 1 >= len(b):
                return None
            return {0x1B: self._esc, 0x1D: self._gs, 0x1C: self._fs}[c](b, i, bytes([b[i + 1]]))
        if c < 0x20 or c == 0x7F:
            self.unknown += 1
            return i + 1
        # Printable data: in Chinese mode keep multi-byte GB18030 sequences whole.
        j = i
        while j < len(b) and b[j] >= 0x20 and b[j] != 0x7F:
            j += 1
        self._add_text(bytes(b[i:j]))
        return j

    def _need(self, b: bytearray, i: int, n: int) -> bool:
        return i + n <= len(b)

    def _esc(self, b: bytearray, i: int, cmd: bytes) -> int | None:
        st = self._style
        if cmd == b"@":
            self._flush_line(only_if_text=True)
            self._style = _Style()
            return i + 2
        if cmd in (b"a", b"E", b"!", b"d", b"J"):
            if not self._need(b, i, 3):
                return None
            n = b[i + 2]
            if cmd == b"a":
                st.align = n if n in (0, 1, 2) else n - 48 if n in (48, 49, 50) else 0
            elif cmd == b"E":
                st.bold = bool(n & 1)
            elif cmd == b"!":
                st.bold, st.height, st.width = bool(n & 0x08), 2 if n & 0x10 else 1, 2 if n & 0x20 else 1
            elif cmd == b"d":
                self._flush_line(only_if_text=True)
                self._blank(n * (BASE_PX + LINE_GAP))
            else:
                self._flush_line(only_if_text=True)
                self._blank(n)
            return i + 3
        if cmd in _ESC_SKIP:
            n = _ESC_SKIP[cmd]
            return i + 2 + n if self._need(b, i, 2 + n) else None
        self.unknown += 1
        return i + 2

    def _gs(self, b: bytearray, i: int, cmd: bytes) -> int | None:
        if cmd == b"!":
            if not self._need(b, i, 3):
                return None
            n = b[i + 2]
            self._style.width, self._style.height = ((n >> 4) & 7) + 1, (n & 7) + 1
            return i + 3
        if cmd == b"V":
            if not self._need(b, i, 3):
                return None
            m = b[i + 2]
            end = i + 4 if m in (65, 66) else i + 3
            if end > len(b):
                return None
            self._cut()
            return end
        if cmd == b"v":
            if not self._need(b, i, 8):
                return None
            xb = int.from_bytes(b[i + 4:i + 6], "little")
            rows = int.from_bytes(b[i + 6:i + 8], "little")
            end = i + 8 + xb * rows
            if xb * 8 > 4 * self.width or rows > 8192:   # no printer takes this: a corrupt header
                self.unknown += 1
                return i + 2
            if end > len(b):
                return None
            self._raster(bytes(b[i + 8:end]), xb, rows)
            return end
        if cmd == b"(":
            if not self._need(b, i, 5):
                return None
            length = int.from_bytes(b[i + 3:i + 5], "little")
            end = i + 5 + length
            if end > len(b):
                return None
            if b[i + 2] == ord("k"):
                self._qr_command(bytes(b[i + 5:end]))
            return end
        if cmd == b"e":
            return self._ejector(b, i)
        if cmd in _GS_SKIP:
            n = _GS_SKIP[cmd]
            return i + 2 + n if self._need(b, i, 2 + n) else None
        self.unknown += 1
        return i + 2

    def _fs(self, b: bytearray, i: int, cmd: bytes) -> int | None:
        if cmd in (b"&", b"."):
            self._style.chinese = cmd == b"&"
            return i + 2
        if cmd == b"!":
            return i + 3 if self._need(b, i, 3) else None
        if cmd == b"P":
            return self._present_custom(b, i)
        if cmd in _FS_SKIP:
            n = _FS_SKIP[cmd]
            return i + 2 + n if self._need(b, i, 2 + n) else None
        self.unknown += 1
        return i + 2

    # -- rendering ----------------------------------------------------------------------------
    def _add_text(self, raw: bytes) -> None:
        st = self._style
        self._line.append((raw, _Style(st.align, st.bold, st.width, st.height, st.chinese)))

    def _emit(self, img: Image.Image) -> None:
        if self.can_print:
            self._rows.append(img)

    def _blank(self, height: int) -> None:
        if height > 0:
            self._emit(Image.new("L", (self.width, height), 255))

    def _flush_line(self, only_if_text: bool = False) -> None:
        if not self._line:
            if not only_if_text:
                self._blank(BASE_PX * self._style.height + LINE_GAP)
            return
        # A real printer lays glyphs on a fixed grid: 12 dots per half-width character and 24 per
        # full-width one, times the size multiplier; the line wraps at the paper edge.
        cells: list[tuple[str, _Style, int]] = []
        for raw, st in self._line:
            text = raw.decode("gb18030" if st.chinese else "cp437", errors="replace")
            cells += [(ch, st, char_columns(ch) * 12 * st.width) for ch in text]
        self._line = []
        if self.can_print:
            self.lines.append("".join(ch for ch, _, _ in cells))
        rows: list[list[tuple[str, _Style, int]]] = [[]]
        used = 0
        for cell in cells:
            if used + cell[2] > self.width and rows[-1]:
                rows.append([])
                used = 0
            rows[-1].append(cell)
            used += cell[2]
        for row in rows:
            self._draw_row(row)

    def _draw_row(self, row: list[tuple[str, _Style, int]]) -> None:
        height = max(st.height for _, st, _ in row) * BASE_PX + LINE_GAP
        img = Image.new("L", (self.width, height), 255)
        total = sum(w for _, _, w in row)
        align = row[0][1].align
        x = {1: (self.width - total) // 2, 2: self.width - total}.get(align, 0)
        for ch, st, w in row:
            px = BASE_PX * st.height
            font = cjk_font(px)
            natural = max(1, int(font.getlength(ch)) + 2)
            glyph = Image.new("L", (natural, px + LINE_GAP), 255)
            # Baseline at 0.88 em keeps ideographs (and most descenders) inside the cell.
            ImageDraw.Draw(glyph).text((1, 0.88 * px), ch, font=font, anchor="ls", fill=0,
                                       stroke_width=1 if st.bold else 0, stroke_fill=0)
            # Squeeze proportional glyphs into the printer's fixed cell (12 or 24 dots per unit).
            target = min(w, natural) if st.width == st.height else w
            if target != natural:
                glyph = glyph.resize((target, glyph.height))
            img.paste(glyph, (x + (w - glyph.width) // 2, height - glyph.height))
            x += w
        self._emit(img)

    def _raster(self, data: bytes, xb: int, rows: int) -> None:
        self._flush_line(only_if_text=True)
        if not rows or not xb:
            return
        bits = Image.frombytes("1", (xb * 8, rows), data)
        # In mode "1" a set bit is white; on paper a set bit is a dot, so invert.
        img = Image.eval(bits.convert("L"), lambda v: 255 - v)
        canvas = Image.new("L", (self.width, rows), 255)
        canvas.paste(img.crop((0, 0, min(img.width, self.width), rows)), (0, 0))
        self._emit(canvas)

    def _qr_command(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 0x31:
            return
        fn = body[1]
        if fn == 0x43 and len(body) >= 3:
            self._qr_module = max(1, min(16, body[2]))
        elif fn == 0x50:
            self._qr_data = body[3:]
        elif fn == 0x51 and self._qr_data:
            import qrcode

            self._flush_line(only_if_text=True)
            code = qrcode.QRCode(border=1, box_size=self._qr_module)
            code.add_data(self._qr_data)
            img = code.make_image().get_image().convert("L")
            canvas = Image.new("L", (self.width, img.height), 255)
            x = {0: 0, 1: (self.width - img.width) // 2, 2: self.width - img.width}.get(self._style.align, 0)
            canvas.paste(img, (max(0, x), 0))
            self._emit(canvas)

    def _cut(self) -> None:
        self._flush_line(only_if_text=True)
        self.cuts += 1
        if not self._rows:
            return
        height = sum(r.height for r in self._rows) + 16
        page = Image.new("L", (self.width, height), 255)
        y = 8
        for r in self._rows:
            page.paste(r, (0, y))
            y += r.height
        self._rows = []
        self.pages.append(page)
        if self.presenter is not PresenterKind.NONE:
            if self.at_mouth:
                self.pushed_out += 1   # the last one was still there: pushed out by the new one
            self.at_mouth = True

    def pending_page(self) -> Image.Image | None:
        """What has printed since the last cut (e.g. a job without a cut command)."""
        self._flush_line(only_if_text=True)
        if not self._rows:
            return None
        height = sum(r.height for r in self._rows)
        page = Image.new("L", (self.width, height), 255)
        y = 0
        for r in self._rows:
            page.paste(r, (0, y))
            y += r.height
        return page


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class PrinterSimulator:
    """EscposPaper behind a pty or TCP socket (or fed from a file), with a status switch."""

    #: what a technician can switch on (each is one status flag the printer reports)
    FAULTS: tuple[str, ...] = ("paper_near_end", "paper_out", "cover_open", "cutter_error", "offline")

    def __init__(self, paper_mm: int = 80, on_page: Callable[[Image.Image], None] | None = None, *,
                 presenter: str = "none") -> None:
        self.paper = EscposPaper(paper_mm, presenter)
        if self.paper.presenter is not PresenterKind.NONE:
            self.FAULTS = (*PrinterSimulator.FAULTS, "retract_jam")
        self.on_page = on_page
        self._lock = threading.Lock()
        self.silent = False          # fault: the printer answers nothing (powered off, wrong port)
        self.received = 0
        self.port = SimPort("printer", self._on_bytes)

    def _on_bytes(self, data: bytes, reply) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            before = len(self.paper.pages)
            self.received += len(data)
            out = self.paper.feed(data)
            new_pages = self.paper.pages[before:]
        if out and not self.silent:
            reply(out)
        for page in new_pages:
            if self.on_page:
                self.on_page(page)

    def feed(self, data: bytes) -> bytes:
        with self._lock:
            return self.paper.feed(data)

    def render_file(self, path: str) -> list[Image.Image]:
        """Interpret a file written by a ``file:`` printer connection."""
        with open(path, "rb") as fh:
            self.feed(fh.read())
        return self.pages()

    def set_status(self, **flags: bool) -> None:
        """offline, cover_open, paper_near_end, paper_out, cutter_error (unknown names raise)."""
        unknown = set(flags) - set(self.paper.status)
        if unknown:
            raise ValueError(f"unknown printer status flag(s): {', '.join(sorted(unknown))}")
        with self._lock:
            self.paper.status.update({k: bool(v) for k, v in flags.items()})

    def set_fault(self, name: str | None) -> None:
        """One fault of :attr:`FAULTS` (the others cleared), or None for a healthy printer (which
        also frees a jammed presenter, as the technician does by hand)."""
        name = known_fault(name, self.FAULTS)
        self.set_status(**{flag: flag == name for flag in PrinterSimulator.FAULTS})
        with self._lock:
            self.paper.retract_jam = name == "retract_jam"
            if name is None:
                self.paper.presenter_jammed = False

    @property
    def fault(self) -> str | None:
        status = self.get_status()
        if self.paper.retract_jam:
            return "retract_jam"
        return next((f for f in PrinterSimulator.FAULTS if status.get(f)), None)

    # -- presenter ------------------------------------------------------------------------------
    def take(self) -> bool:
        """The citizen takes the paper waiting at the mouth (False: none there, or it is jammed)."""
        with self._lock:
            return self.paper.take()

    @property
    def paper_at_mouth(self) -> bool:
        with self._lock:
            self.paper.tick()
            return self.paper.at_mouth

    def presenter_commands(self) -> list[bytes]:
        """Every presenter command the printer received, as its bytes (present, retract, status …)."""
        with self._lock:
            return list(self.paper.presenter_log)

    @property
    def retracted(self) -> int:
        with self._lock:
            self.paper.tick()
            return self.paper.retracted

    def get_status(self) -> dict[str, bool]:
        return dict(self.paper.status)

    def pages(self) -> list[Image.Image]:
        with self._lock:
            return list(self.paper.pages)

    def text_lines(self) -> list[str]:
        """The text printed so far, one string per line (characters sent as raster are absent)."""
        with self._lock:
            return list(self.paper.lines)

    def last_png(self) -> bytes | None:
        pages = self.pages()
        return png_bytes(pages[-1]) if pages else None

    def save_last(self, path: str) -> bool:
        png = self.last_png()
        if png is None:
            return False
        with open(path, "wb") as fh:
            fh.write(png)
        return True

    def listen_pty(self, link: str | None = None) -> str:
        return self.port.listen_pty(link)

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        return self.port.listen_tcp(host, port)

    @property
    def url(self) -> str:
        return self.port.url

    def close(self) -> None:
        self.port.close()
