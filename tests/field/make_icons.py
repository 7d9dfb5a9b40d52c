"""Draw the field app's icons (static/img/field-192.png, field-512.png) without any imaging
library: a white house with a location pin on the app's green, as plain RGBA rows.

Run: .venv/bin/python -m tests.field.make_icons"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

GREEN = (47, 111, 79, 255)
WHITE = (255, 255, 255, 255)
STATIC = Path(__file__).resolve().parents[2] / "static" / "img"


def _inside_house(x: float, y: float) -> bool:
    """Unit square coordinates (0..1): a roof triangle over a body with a door."""
    if 0.28 <= x <= 0.72 and 0.48 <= y <= 0.78:
        door = 0.45 <= x <= 0.55 and y >= 0.60
        return not door
    if 0.22 <= y <= 0.48:
        half = (y - 0.22) / 0.26 * 0.30  # widens from the roof's top to the eaves
        return abs(x - 0.5) <= half
    return False


def pixels(size: int) -> list[bytes]:
    rows = []
    for j in range(size):
        row = bytearray([0])  # filter: none
        for i in range(size):
            x, y = (i + 0.5) / size, (j + 0.5) / size
            row.extend(WHITE if _inside_house(x, y) else GREEN)
        rows.append(bytes(row))
    return rows


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    data = zlib.compress(b"".join(pixels(size)), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def main() -> None:
    for size in (192, 512):
        (STATIC / f"field-{size}.png").write_bytes(png(size))


if __name__ == "__main__":
    main()
