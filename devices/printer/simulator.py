"""A virtual ESC/POS printer: reads what the driver sends and renders the paper to PNG.

It understands the command subset our encoder and python-escpos emit (ESC @ a E ! d J M - t 2 3,
GS ! v0 (k V B, FS & . ! W, DLE EOT/ENQ), skips other commands by their known length and counts
unknown bytes. Chinese mode is off after power-up here, so a driver that forgets FS & prints
mojibake, as a strict printer would. It keeps the status it is told and answers DLE EOT with the
bit layout of reference §2.4; while it cannot print, data is swallowed and nothing comes out.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from devices.fonts import cjk_font
from devices.printer.layout import char_columns
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

    def __init__(self, paper_mm: int = 80) -> None:
        self.width = DOTS[paper_mm]
        self.status = {"offline": False, "cover_open": False, "paper_near_end": False, "paper_out": False,
                       "cutter_error": False}
        self.pages: list[Image.Image] = []
        self.unknown = 0
        self.cuts = 0
        self.lines: list[str] = []  # the text of every printed line, for tests that read the paper
        self._buf = bytearray()
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
        table = status_bytes(**self.status)
        return bytes([table[n]]) if n in table else b""

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        """Interpret bytes; return what the printer answers (status bytes)."""
        self._buf += data
        replies = bytearray()
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

    def __init__(self, paper_mm: int = 80, on_page: Callable[[Image.Image], None] | None = None) -> None:
        self.paper = EscposPaper(paper_mm)
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
        """One fault of :attr:`FAULTS` (the others cleared), or None for a healthy printer."""
        name = known_fault(name, self.FAULTS)
        self.set_status(**{flag: flag == name for flag in self.FAULTS})

    @property
    def fault(self) -> str | None:
        status = self.get_status()
        return next((f for f in self.FAULTS if status.get(f)), None)

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
