"""Shared fixtures of the Python module's tests. ctest runs them with PYTHONPATH=<build>/python and
WINCLIP_BIN (the `winclip` program of the same build), so the module and the CLI under test come from one build."""
import os
import pathlib
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "tests" / "data" / "model"
SAMPLES = ROOT / "samples"

# The prototype cache goes to a private directory, never the user's ~/.cache (set before the module loads a model).
_CACHE = tempfile.mkdtemp(prefix="winclip-pytest-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE


@pytest.fixture(scope="session")
def winclip_bin():
    path = os.environ.get("WINCLIP_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("WINCLIP_BIN must name the built winclip program (ctest sets it)")
    return path


@pytest.fixture(scope="session")
def model():
    import winclip
    return winclip.load_model(str(MODEL_DIR))


@pytest.fixture(scope="session")
def samples():
    return sorted(str(p) for p in SAMPLES.glob("*.png"))


@pytest.fixture(scope="session")
def refs():
    return sorted(str(p) for p in (SAMPLES / "ref").glob("*.png"))


def write_pnm(path, image):
    """A binary PPM (RGB) or PGM (grayscale) file of a uint8 array: a file written without the decoder under
    test, to compare numpy input with file input."""
    header = b"P6" if image.ndim == 3 else b"P5"
    with open(path, "wb") as f:
        f.write(header + b"\n%d %d\n255\n" % (image.shape[1], image.shape[0]))
        f.write(image.tobytes())


def write_png_gray(path, image):
    """An 8-bit grayscale PNG of a uint8 array (zlib, no imaging library): dataset masks for the eval tests."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    h, w = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_mvtec(root, samples, refs, categories=("bottle", "nut"), per_defect=3):
    """A small dataset in the MVTec-AD layout made of the sample images: per class 2 training images, and
    `per_defect` good and as many anomalous test images with masks."""
    import numpy as np
    import shutil
    for c, name in enumerate(categories):
        base = root / name
        for sub in ("train/good", "test/good", "test/broken", "ground_truth/broken"):
            (base / sub).mkdir(parents=True)
        for i, r in enumerate(refs):
            shutil.copy(r, base / "train" / "good" / f"{i:03d}.png")
        for i in range(per_defect):
            shutil.copy(samples[(i + c) % len(samples)], base / "test" / "good" / f"{i:03d}.png")
            shutil.copy(samples[(i + c + 1) % len(samples)], base / "test" / "broken" / f"{i:03d}.png")
            h, w = __import__("winclip").read_image(samples[(i + c + 1) % len(samples)]).shape[:2]
            mask = np.zeros((h, w), np.uint8)
            mask[h // 4 + 5 * (i % 3): h // 2 + 5 * (i % 3), w // 3: w // 3 + 20 + 7 * (i % 5)] = 255
            write_png_gray(base / "ground_truth" / "broken" / f"{i:03d}_mask.png", mask)
