"""Layout elements → ESC/POS bytes for one printer profile.

Chinese text in ``native`` mode is GB18030 between FS & (1C 26) and FS . (1C 2E), because
python-escpos' ``text()`` sends no FS & and turns CJK punctuation and rare characters into '?'
(reference §2.3, §5). A line the printer's font cannot hold (e.g. Ext-A 䶮 on a GBK font) is drawn
with the CJK font and sent as a raster image (GS v 0), as is all text in ``raster`` mode.
QR codes are images by default, or the printer's own GS ( k when the profile says it has one.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from devices.fonts import cjk_font
from devices.printer.layout import QR, Element, Feed, Rule, Text, wrap_columns
from devices.printer.printer_profile import PrinterProfile

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
ALIGN = {"left": 0, "center": 1, "right": 2}
BASE_PX = 24            # font A is 12x24 dots; a CJK glyph is 24x24
RASTER_BAND = 256       # rows per GS v 0 command, so no printer buffer overflows


def align_cmd(align: str) -> bytes:
    return ESC + b"a" + bytes([ALIGN[align]])


def bold_cmd(on: bool) -> bytes:
    return ESC + b"E" + bytes([1 if on else 0])


def size_cmd(width: int, height: int) -> bytes:
    """GS ! n: bits 4-6 width-1, bits 0-2 height-1."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character size multipliers are 1..8")
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def feed_cmd(lines: int) -> bytes:
    return ESC + b"d" + bytes([max(0, min(255, lines))])


def cut_cmd(mode: str) -> bytes:
    return GS + b"V" + (b"\x00" if mode == "full" else b"\x01")


def chinese_line(text: str) -> bytes:
    """One line in the printer's Chinese mode (ASCII-only lines need no mode switch)."""
    if text.isascii():
        return text.encode("ascii")
    return CHINESE_ON + text.encode("gb18030") + CHINESE_OFF


def raster_cmd(img: Image.Image) -> bytes:
    """GS v 0 m xL xH yL yH d… — 1 bit per dot, MSB left, dark = 1; sent in bands."""
    bw = np.asarray(img.convert("L")) < 128
    width_bytes = (bw.shape[1] + 7) // 8
    packed = np.packbits(bw, axis=1)[:, :width_bytes]
    out = bytearray()
    for top in range(0, packed.shape[0], RASTER_BAND):
        band = packed[top:top + RASTER_BAND]
        out += GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + band.shape[0].to_bytes(2, "little")
        out += band.tobytes()
    return bytes(out)


def _fits_font(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def render_text_image(lines: list[str], width: int, size: int, align: str, bold: bool) -> Image.Image:
    px = BASE_PX * size
    font = cjk_font(px)
    line_h = px + 6 * size
    img = Image.new("L", (width, line_h * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        w = draw.textlength(line, font=font)
        x = {"left": 0, "center": (width - w) / 2, "right": width - w}[align]
        draw.text((max(0, x), i * line_h + 3 * size + 0.88 * px), line, font=font, fill=0, anchor="ls",
                  stroke_width=1 if bold else 0, stroke_fill=0)
    return img


def qr_image(data: str, module: int, width: int) -> Image.Image:
    import qrcode

    code = qrcode.QRCode(border=2, box_size=module, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    img = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    if img.width > width:
        img = img.resize((width, width), Image.Resampling.NEAREST)
    canvas = Image.new("L", (width, img.height), 255)
    canvas.paste(img, ((width - img.width) // 2, 0))
    return canvas


def qr_native(data: str, module: int) -> bytes:
    """The printer's own QR (GS ( k, model 2, EC M) as python-escpos builds it."""
    from escpos.printer import Dummy

    d = Dummy()
    d.qr(data, native=True, size=max(1, min(16, module)), ec=1)
    return bytes(d.output)


def encode(elements: list[Element], profile: PrinterProfile, *, cut: bool = True) -> bytes:
    out = bytearray(INIT)
    for el in elements:
        if isinstance(el, Text):
            out += _text(el, profile)
        elif isinstance(el, QR):
            if profile.native_qr:
                out += align_cmd("center") + qr_native(el.data, el.module) + LF + align_cmd("left")
            else:
                out += raster_cmd(qr_image(el.data, el.module, profile.dots))
        elif isinstance(el, Rule):
            if profile.text_mode == "native":
                out += align_cmd("left") + b"-" * profile.columns + LF
            else:
                img = Image.new("L", (profile.dots, 12), 255)
                ImageDraw.Draw(img).line((0, 6, profile.dots, 6), fill=0, width=2)
                out += raster_cmd(img)
        elif isinstance(el, Feed):
            out += feed_cmd(el.lines)
    if cut and profile.cut != "none":
        out += feed_cmd(profile.feed_before_cut) + cut_cmd(profile.cut)
    return bytes(out)


def _text(el: Text, profile: PrinterProfile) -> bytes:
    lines = wrap_columns(el.text, profile.columns // el.size)
    native = profile.text_mode == "native" and el.size <= 8
    out = bytearray()
    if not native:
        return raster_cmd(render_text_image(lines, profile.dots, el.size, el.align, el.bold))
    out += align_cmd(el.align) + bold_cmd(el.bold) + size_cmd(el.size, el.size)
    for line in lines:
        if _fits_font(line, profile.font_charset):
            out += chinese_line(line) + LF
        else:
            out += raster_cmd(render_text_image([line], profile.dots, el.size, el.align, el.bold))
    out += size_cmd(1, 1) + bold_cmd(False) + align_cmd("left")
    return bytes(out)
