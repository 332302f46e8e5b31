"""`winclip eval`'s report.html in headless Chromium: every category's curves, histogram and gallery are on the
page and drawn, the summary table shows the numbers of metrics.json, nothing is fetched from outside the file,
and a full-page screenshot is saved under the build directory (WINCLIP_BROWSER_ARTIFACTS)."""
import json
import pathlib
import struct
import subprocess
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "tests" / "data" / "model"
CATEGORIES = ("carpet", "grid")
SIZE = 96


def _png(path, width, height, channels, pixel):
    """An 8-bit PNG (grey or RGB) whose pixel(x, y) gives a tuple of `channels` values: no imaging library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(v for x in range(width) for v in pixel(x, y)) for y in range(height))
    colour = 2 if channels == 3 else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)) +
                     chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _inside(defect, x, y):
    """Whether (x, y) is in the square `defect` (left, top, side)."""
    return defect is not None and defect[0] <= x < defect[0] + defect[2] and defect[1] <= y < defect[1] + defect[2]


def _texture(seed, defect=None):
    """Stripes and hashed noise; inside `defect` a bright red square."""
    def pixel(x, y):
        if _inside(defect, x, y):
            return (250, 30, 30)
        h = ((x * 73856093) ^ (y * 19349663) ^ (seed * 83492791)) & 0xFFFFFFFF
        h = ((h ^ (h >> 13)) * 0x5BD1E995) & 0xFFFFFFFF
        base = 70 + (40 if ((x + y + seed) // 4) % 2 else 0) + (h >> 24) % 24
        return (base, base + 10, base + 20)
    return pixel


def make_dataset(root):
    """MVTec-AD layout: per category 6 training images, 4 good and 4 defective test images with masks."""
    seed = 0
    for category in CATEGORIES:
        base = root / category
        for i in range(6):
            _png(base / "train" / "good" / f"{i:03d}.png", SIZE, SIZE, 3, _texture(seed := seed + 1))
        for i in range(4):
            _png(base / "test" / "good" / f"{i:03d}.png", SIZE, SIZE, 3, _texture(seed := seed + 1))
            defect = (10 + 17 * i, 8 + 13 * i, 16 + 4 * i)
            _png(base / "test" / "hole" / f"{i:03d}.png", SIZE, SIZE, 3, _texture(seed := seed + 1, defect))
            _png(base / "ground_truth" / "hole" / f"{i:03d}_mask.png", SIZE, SIZE, 1,
                 lambda x, y: (255 if _inside(defect, x, y) else 0,))


@pytest.fixture(scope="module")
def report(winclip_bin, tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    out = tmp_path_factory.mktemp("eval")
    make_dataset(root)
    # F = 0.5 needs only 5 calibration images ((1 - 0.5)^5 <= 0.05).
    run = subprocess.run([winclip_bin, "eval", "--model", str(MODEL_DIR), "--cache-dir",
                          str(tmp_path_factory.mktemp("cache")), "--dataset", "mvtec", "--root", str(root),
                          "--calibrate", "6", "--calibrate-fpr", "0.5", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return out


def percent(value):
    """As the report writes a fraction: percent with one decimal (C's %.1f), "–" when undefined."""
    return "–" if value is None else f"{value * 100:.1f}"


def test_report_page_shows_every_category_and_the_numbers_of_metrics_json(browser, report, artifacts_dir,
                                                                           full_page_screenshot):
    from selenium.webdriver.common.by import By

    metrics = json.loads((report / "metrics.json").read_text())
    browser.get((report / "report.html").as_uri())
    assert browser.execute_script("return document.readyState") == "complete"

    # Offline: no element points outside the file, and the browser fetched nothing but the page itself.
    for element in browser.find_elements(By.CSS_SELECTOR, "[src], [href]"):
        link = element.get_attribute("src") or element.get_attribute("href")
        assert link.startswith("data:"), link
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))")
    assert fetched == []
    assert browser.find_elements(By.TAG_NAME, "script") == []

    for category in metrics["categories"]:
        section = browser.find_element(By.CSS_SELECTOR, f'section[data-category="{category}"]')
        for plot in ("roc", "pr", "pro", "histogram"):
            figure = section.find_element(By.CSS_SELECTOR, f'figure[data-plot="{plot}"]')
            svg = figure.find_element(By.TAG_NAME, "svg")
            assert svg.size["width"] > 100 and svg.size["height"] > 100, (category, plot, svg.size)
            if plot != "histogram":
                line = figure.find_element(By.TAG_NAME, "polyline").rect  # drawn, not only present
                assert line["width"] > 0 or line["height"] > 0, (category, plot)
        gallery = section.find_element(By.CSS_SELECTOR, "div.gallery")
        assert gallery.find_elements(By.CSS_SELECTOR, '[data-kind="defective"]')
        assert gallery.find_elements(By.CSS_SELECTOR, '[data-kind="good"]')
        for image in gallery.find_elements(By.TAG_NAME, "img"):
            # The data URI decoded into a picture.
            assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0

    # The summary table, as rendered, against metrics.json.
    rows = {row.get_attribute("data-row"): row
            for row in browser.find_elements(By.CSS_SELECTOR, "table#summary tr[data-row]")}
    assert sorted(rows) == sorted([*metrics["categories"], "mean"])
    fields = ["image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_aupro", "pixel_f1max"]
    for name, row in rows.items():
        entry = metrics["mean"] if name == "mean" else metrics["categories"][name]
        shown = {cell.get_attribute("data-field"): cell.text
                 for cell in row.find_elements(By.CSS_SELECTOR, "td[data-field]")}
        assert shown["n_images"] == str(entry["n_images"])
        for field in fields:
            assert shown[field] == percent(entry[field]), (name, field)
        for rate in ("fpr", "tpr", "precision", "f1"):
            assert shown["calibrated." + rate] == percent(entry["calibrated"][rate]), (name, rate)

    shot = full_page_screenshot(browser, artifacts_dir / "report.png")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    print(f"screenshot: {shot}")
