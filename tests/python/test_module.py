import json
import os
import pathlib
import subprocess
import threading
import time

import numpy as np
import pytest

import winclip
from conftest import MODEL_DIR, write_pnm


def test_import_from_build_tree_and_model_properties(model):
    assert pathlib.Path(winclip.__file__).parent.name == "winclip"
    assert model.image_size == 240
    assert model.precision == "fp32"
    assert len(model.fingerprint) >= 12


def cli_detect(winclip_bin, tmp_path, images, extra=()):
    out = tmp_path / "cli"
    cmd = [winclip_bin, "detect", "--model", str(MODEL_DIR), "--class", "bottle", "--out", str(out), *extra, *images]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    results = json.loads((out / "results.json").read_text())
    return out, results


@pytest.mark.parametrize("few_shot", [False, True], ids=["zero-shot", "few-shot"])
def test_detect_equals_cli(model, winclip_bin, tmp_path, samples, refs, few_shot):
    extra = [a for r in refs for a in ("--ref", r)] if few_shot else []
    out, results = cli_detect(winclip_bin, tmp_path, samples, extra)
    det = winclip.Detector(model, class_name="bottle", templates="paper", raw_class_name=False)
    if few_shot:
        det.add_references(refs)
        assert det.shots == len(refs)
    got = det.detect(samples)
    assert len(got) == len(samples) == len(results["images"])
    for d, entry, path in zip(got, results["images"], samples):
        assert entry["path"] == path
        assert isinstance(d.score, float)
        assert abs(d.score - entry["score"]) <= 1e-6
        cli_map = np.load(out / entry["map"])
        assert d.map.dtype == np.float32 and d.map.shape == (240, 240)
        np.testing.assert_allclose(d.map, cli_map, rtol=0, atol=1e-6)
    # The samples differ, so equal scores above are not a constant.
    assert len({round(d.score, 9) for d in got}) > 1


def test_numpy_image_equals_its_file(model, tmp_path, samples, refs):
    rgb = winclip.read_image(samples[1])
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    # A crop of another size, written as PPM/PGM without the library's decoder.
    rgb = np.ascontiguousarray(rgb[3:200, 10:150])
    gray = np.ascontiguousarray(rgb[:, :, 1])
    write_pnm(tmp_path / "rgb.ppm", rgb)
    write_pnm(tmp_path / "gray.pgm", gray)
    det = winclip.Detector(model, class_name="bottle")
    det.add_references([winclip.read_image(refs[0]), refs[1]])
    from_arrays = det.detect([rgb, gray, np.asfortranarray(rgb)])
    from_files = det.detect([tmp_path / "rgb.ppm", str(tmp_path / "gray.pgm"), tmp_path / "rgb.ppm"])
    for a, f in zip(from_arrays, from_files):
        assert a.score == f.score
        assert np.array_equal(a.map, f.map)
    # Grayscale is the channel replicated, as decode_image does for a grayscale file.
    rep = det.detect([np.repeat(gray[:, :, None], 3, axis=2)])[0]
    assert rep.score == from_arrays[1].score


def test_bank_round_trip(model, tmp_path, samples, refs):
    det = winclip.Detector(model, class_name="bottle")
    det.add_references(refs)
    bank = tmp_path / "bottle.bank"
    det.save_bank(str(bank))
    det2 = winclip.Detector.from_bank(model, str(bank))
    assert det2.class_name == "bottle" and det2.shots == len(refs)
    for a, b in zip(det.detect(samples), det2.detect(samples)):
        assert a.score == b.score
        assert np.array_equal(a.map, b.map)


def test_bad_arguments_raise_value_error(model):
    with pytest.raises(ValueError, match="precision"):
        winclip.load_model(str(MODEL_DIR), precision="fp8")
    with pytest.raises(ValueError, match="templates"):
        winclip.Detector(model, class_name="bottle", templates="nope")
    det = winclip.Detector(model, class_name="bottle")
    with pytest.raises(ValueError, match="uint8"):
        det.detect([np.zeros((8, 8, 3), np.float32)])
    with pytest.raises(ValueError, match="H×W×3"):
        det.detect([np.zeros((8, 8, 4), np.uint8)])
    with pytest.raises(ValueError, match="empty"):
        det.detect([np.zeros((0, 8, 3), np.uint8)])


def test_file_errors_raise_os_error_naming_the_file(model, tmp_path):
    det = winclip.Detector(model, class_name="bottle")
    with pytest.raises(OSError, match="missing.png"):
        det.detect([str(tmp_path / "missing.png")])
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(OSError, match="corrupt.png"):
        det.detect([corrupt])
    with pytest.raises(OSError, match="no-such-model"):
        winclip.load_model(str(tmp_path / "no-such-model"))
    with pytest.raises(OSError, match="none.bank"):
        winclip.Detector.from_bank(model, str(tmp_path / "none.bank"))


def test_library_errors_raise_winclip_error(model, tmp_path):
    bad = tmp_path / "bad.bank"
    bad.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(winclip.Error, match="bad.bank"):
        winclip.Detector.from_bank(model, str(bad))
    assert issubclass(winclip.Error, RuntimeError)


def test_engine_runs_without_the_gil(model, samples):
    det = winclip.Detector(model, class_name="bottle", batch_size=1)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    start = time.monotonic()
    det.detect(samples * 4)
    end = time.monotonic()
    stop.set()
    t.join(timeout=10)
    during = [x for x in ticks if start < x < end]
    # With the GIL held for the whole call the ticker could not run at all meanwhile.
    assert len(during) >= 3, (len(during), end - start)


def test_readme_python_example_runs_as_written(tmp_path):
    import re
    import sys
    from conftest import ROOT
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "(240, 240)" in run.stdout


@pytest.mark.parametrize("precision", ["bf16", "auto"])
def test_precision_as_on_the_cli(winclip_bin, tmp_path, samples, precision):
    out, results = cli_detect(winclip_bin, tmp_path, samples, ["--precision", precision])
    model = winclip.load_model(str(MODEL_DIR), precision=precision)
    assert model.precision in ("fp32", "bf16") and (precision == "auto" or model.precision == "bf16")
    got = winclip.Detector(model, class_name="bottle").detect(samples)
    for d, entry in zip(got, results["images"]):
        assert abs(d.score - entry["score"]) <= 1e-6
        np.testing.assert_allclose(d.map, np.load(out / entry["map"]), rtol=0, atol=1e-6)
