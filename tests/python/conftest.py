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
