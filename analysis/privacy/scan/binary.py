"""Text hidden in files a browser does not show as text: image metadata (PNG text chunks, compressed or not, EXIF,
XMP and JPEG comments), compressed files (.gz, zip members, Sphinx's objects.inv) and the printable runs of any
other binary file, since a name or a date in a picture's metadata is downloaded with the picture.
"""

from __future__ import annotations

import codecs
import re
import zlib

MAX_INFLATED = 256 * 1024 * 1024  # a compressed member is read up to this size (a bomb stops here)
PNG = b"\x89PNG\r\n\x1a\n"
PNG_PIXELS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"fdAT", b"tRNS"}  # image data, never text
_PRINTABLE = re.compile(rb"(?:[\t\x20-\x7e]|[\xc2-\xf4][\x80-\xbf]{1,3}){4,}")  # ASCII and UTF-8 runs
_UTF16 = re.compile(rb"(?:[\x20-\x7e]\x00){4,}")  # Windows metadata (EXIF XPComment, XPAuthor) is UTF-16LE


def decode(data: bytes) -> str | None:
    """The text of a file, or None when it is binary (a NUL byte early on, and no UTF-16 byte order mark)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8-sig", errors="replace")


def printable(data: bytes) -> str:
    """The runs of at least four printable characters of binary data, one a line (what `strings` shows)."""
    runs = [m.decode("utf-8", errors="replace") for m in _PRINTABLE.findall(data)]
    runs += [m.decode("utf-16-le", errors="replace") for m in _UTF16.findall(data)]
    return "\n".join(runs)


def inflate(data: bytes, wbits: int = zlib.MAX_WBITS) -> bytes:
    """Decompressed zlib (or, with wbits=31, gzip) data, up to `MAX_INFLATED` bytes; what is readable of a
    damaged stream."""
    try:
        return zlib.decompressobj(wbits).decompress(data, MAX_INFLATED)
    except zlib.error:
        return b""


def png_texts(data: bytes) -> list[str]:
    """Every text chunk of a PNG (tEXt, zTXt and iTXt, decompressed) and the printable runs of any other chunk
    that is not image data (eXIf, private chunks)."""
    out, i = [], len(PNG)
    while i + 8 <= len(data):
        size, kind = int.from_bytes(data[i : i + 4], "big"), data[i + 4 : i + 8]
        body = data[i + 8 : i + 8 + size]
        i += 12 + size
        key, _, rest = body.partition(b"\x00")
        if kind == b"tEXt":
            out.append(f"{key.decode('latin-1')}: {rest.decode('latin-1')}")
        elif kind == b"zTXt":
            out.append(f"{key.decode('latin-1')}: {inflate(rest[1:]).decode('latin-1')}")
        elif kind == b"iTXt" and len(rest) >= 2:
            lang, _, rest2 = rest[2:].partition(b"\x00")
            translated, _, text = rest2.partition(b"\x00")
            text = inflate(text) if rest[0] else text
            parts = (key, lang, translated, text)
            out.append(" ".join(p.decode("utf-8", errors="replace") for p in parts))
        elif kind not in PNG_PIXELS:
            out.append(printable(body))
    return out


def jpeg_texts(data: bytes) -> list[str]:
    """The printable runs of a JPEG's segments before its image data: EXIF, XMP, IPTC and comments."""
    out, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1  # fill byte
            continue
        if marker == 0xDA:
            break  # start of scan: compressed pixels follow
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        size = int.from_bytes(data[i + 2 : i + 4], "big")
        out.append(printable(data[i + 4 : i + 2 + size]))
        i += 2 + size
    return out


def image_texts(data: bytes) -> list[str]:
    """The text an image carries besides its pixels, by format; any other binary's printable runs."""
    if data.startswith(PNG):
        return png_texts(data)
    if data.startswith(b"\xff\xd8"):
        return jpeg_texts(data)
    return [printable(data)]


def inventory_text(data: bytes) -> str:
    """Sphinx's objects.inv: four header lines, then the zlib-compressed list of the site's labels and pages."""
    parts = data.split(b"\n", 4)
    if len(parts) < 5:
        return data.decode("utf-8", errors="replace")
    return (b"\n".join(parts[:4]) + b"\n" + inflate(parts[4])).decode("utf-8", errors="replace")
