"""Read back the PNGs the cohort writes (8-bit grey or RGB, filter 0) and image data URLs.

The cohort encodes PNG with zlib alone, so decoding its own output needs no imaging library;
anything else (another encoder's filters, palettes, 16-bit) is handed to Pillow if installed.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import numpy.typing as npt

from medtrust.errors import MedtrustError

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _pillow(data: bytes) -> npt.NDArray[np.uint8]:
    try:
        from PIL import Image
    except ImportError:
        raise MedtrustError("this PNG needs Pillow to decode (pip install Pillow)") from None
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB" if img.mode not in ("L", "1") else "L"),
                          dtype=np.uint8)


def decode_png(data: bytes) -> npt.NDArray[np.uint8]:
    """(H, W) grey or (H, W, 3) RGB uint8 pixels."""
    if not data.startswith(SIGNATURE):
        raise MedtrustError("not a PNG image")
    pos, idat, header = len(SIGNATURE), b"", None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        elif tag == b"IEND":
            break
    if header is None:
        raise MedtrustError("PNG without IHDR")
    w, h, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3}.get(color)
    if depth != 8 or channels is None or interlace:
        return _pillow(data)
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * channels)
    if raw[:, 0].any():  # a filtered scanline: not ours, let Pillow undo the filters
        return _pillow(data)
    pixels = raw[:, 1:].reshape((h, w) if channels == 1 else (h, w, 3))
    return np.ascontiguousarray(pixels)


def decode_data_url(url: str) -> npt.NDArray[np.uint8]:
    """Pixels of a ``data:image/png;base64,...`` URL."""
    head, sep, body = url.partition(",")
    if not sep or not head.startswith("data:image/") or ";base64" not in head:
        raise MedtrustError("expected a base64 image data URL")
    return decode_png(base64.b64decode(body))
