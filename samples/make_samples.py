#!/usr/bin/python3
"""Draws the synthetic product photos `make demo` inspects: a hexagonal metal nut on brushed steel (good,
scratched, stained) and a woven carpet (good, with a hole), plus normal references. Only the Python standard
library and numpy; the PNGs are committed, this script documents how they were made (seeded, so re-running
gives the same files)."""
import struct
import zlib
from pathlib import Path

import numpy as np

SIZE = 320
OUT = Path(__file__).resolve().parent


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def brushed_steel(rng):
    streaks = rng.normal(0, 1, (SIZE, 1)) * 6 + rng.normal(0, 1, (SIZE, SIZE)) * 3
    base = 150 + np.cumsum(rng.normal(0, 0.3, (SIZE, SIZE)), axis=1) * 0.2 + streaks
    return np.repeat(base[:, :, None], 3, axis=2) * np.array([0.95, 0.97, 1.0])


def hexagon_mask(cx, cy, r, angle):
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    x, y = xx - cx, yy - cy
    inside = np.ones_like(x, dtype=bool)
    for k in range(6):
        t = angle + k * np.pi / 3
        inside &= x * np.cos(t) + y * np.sin(t) <= r * np.cos(np.pi / 6)
    return inside, np.hypot(x, y)


def nut(rng, angle):
    img = brushed_steel(rng)
    body, dist = hexagon_mask(SIZE / 2, SIZE / 2, 110, angle)
    shade = 185 - 0.25 * dist + rng.normal(0, 2, dist.shape)
    img[body] = np.stack([shade, shade * 0.98, shade * 0.93], axis=2)[body]
    hole = dist < 45
    img[hole] = np.stack([40 + 0.4 * dist] * 3, axis=2)[hole]
    thread = hole & ((dist.astype(int) % 6) < 2)
    img[thread] *= 1.6
    return img


def save(name, img):
    write_png(OUT / name, np.clip(img, 0, 255).astype(np.uint8))


def main():
    rng = np.random.default_rng(2026)
    (OUT / "ref").mkdir(exist_ok=True)
    save("ref/nut_ref_0.png", nut(rng, 0.05))
    save("ref/nut_ref_1.png", nut(rng, 0.20))
    save("nut_good.png", nut(rng, 0.12))

    scratched = nut(rng, 0.3)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    line = np.abs((yy - 95) - 0.55 * (xx - 190)) < 2.5
    scratched[line & (xx > 170) & (xx < 250)] = [70, 60, 55]
    save("nut_scratch.png", scratched)

    stained = nut(rng, 0.4)
    blob = ((xx - 215) ** 2 / 900 + (yy - 200) ** 2 / 500) < 1
    stained[blob] = stained[blob] * np.array([0.55, 0.35, 0.15]) + np.array([60, 30, 0])
    save("nut_stain.png", stained)


if __name__ == "__main__":
    main()
