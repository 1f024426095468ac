"""Reading back the QR codes the app draws: the SVG's path squares, decoded by zxing-cpp."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image


def svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The side (in modules) and the dark modules an SVG path QR code draws."""
    side = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert side is not None and side.group(1) == side.group(2)
    (path,) = re.findall(r'<path[^>]* d="([^"]+)"', svg)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\1z", path)
    assert squares and len(squares) == path.count("M")
    assert all(int(h) == int(x) + 1 and int(v) == int(y) + 1 for x, y, h, v in squares)
    return int(side.group(1)), {(int(x), int(y)) for x, y, _h, _v in squares}


def read_svg(svg: str) -> list[zxingcpp.Barcode]:
    """Draw the SVG's modules on a bitmap and read it as a camera would."""
    side, dark = svg_modules(svg)
    scale = 8
    image = Image.new("L", (side * scale, side * scale), 255)
    for x, y in dark:
        image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    return [b for b in zxingcpp.read_barcodes(image) if b.valid]


def decode_svg(svg: str) -> list[str]:
    """The texts a camera reads in the SVG's QR code."""
    return [b.text for b in read_svg(svg)]
