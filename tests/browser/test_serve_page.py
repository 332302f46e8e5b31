"""`winclip serve`'s web page (issue 14) in headless Chromium. The server runs on a free loopback port with the
test model; the page uploads the samples, runs Detect, and every number it shows (scores, verdicts and mask areas
at thresholds set with its slider) is checked against the API's own answers for the same images."""
import base64
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest

from conftest import ROOT, die_with_parent, save_full_page_screenshot

MODEL = ROOT / "tests" / "data" / "model"
SAMPLES = sorted((ROOT / "samples").glob("*.png"))
REFS = sorted((ROOT / "samples" / "ref").glob("*.png"))
CLASS_NAME = "nut"
API_KEY = "page-test-key"
WAIT = 120               # seconds any one step may take on a busy machine; every wait is bounded by it
SCORE_TOLERANCE = 1e-6   # the API's contract: the same image scores the same, in whatever batch


def multipart(fields, files):
    boundary = "winclip-test-" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Server:
    """`winclip serve --port 0` on loopback; its stderr (one line per request) goes to a log file."""

    def __init__(self, winclip_bin, workdir, log_path, *extra):
        (workdir / "banks").mkdir(parents=True)
        env = dict(os.environ, XDG_CACHE_HOME=str(workdir / "cache"))  # never the user's prototype cache
        env.pop("WINCLIP_API_KEY", None)
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [winclip_bin, "serve", "--model", str(MODEL), "--host", "127.0.0.1", "--port", "0",
             "--bank-dir", str(workdir / "banks"), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log, env=env, preexec_fn=die_with_parent)
        lines = queue.Queue()

        def pump():  # reads stdout to its end, so the server never blocks on a full pipe
            for line in self.process.stdout:
                lines.put(line.decode(errors="replace"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=WAIT)
        except queue.Empty:
            first = None
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:[0-9]+)\s*", first or "")
        if not match:
            self.stop()
            pytest.fail(f"winclip serve printed {first!r}, not 'listening on http://HOST:PORT'; "
                        f"its log:\n{self.log_tail()}")
        self.url = match.group(1)

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        """SIGTERM, as the contract says: exit 0 within a few seconds. Returns what went wrong, or None."""
        problem = None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                problem = "did not exit within 20 s of SIGTERM"
        if problem is None and self.process.returncode != 0:
            problem = f"exited with status {self.process.returncode} after SIGTERM"
        self._log.close()
        return problem

    def request(self, method, path, body=None, content_type=None, key=None):
        headers = {"Content-Type": content_type} if content_type else {}
        if key:
            headers["Authorization"] = "Bearer " + key
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def call(self, method, path, fields=(), files=(), key=None, expect=200):
        body, content_type = multipart(fields, files) if fields or files else (None, None)
        status, _, data = self.request(method, path, body, content_type, key)
        assert status == expect, f"{method} {path}: {status} {data[:500]!r}"
        return json.loads(data) if data else None


def start_server(winclip_bin, tmp_path_factory, artifacts_dir, name, *extra):
    return Server(winclip_bin, tmp_path_factory.mktemp(name), artifacts_dir / f"{name}.log", *extra)


@pytest.fixture(scope="module")
def server(require_browser, winclip_bin, tmp_path_factory, artifacts_dir):
    s = start_server(winclip_bin, tmp_path_factory, artifacts_dir, "serve")
    yield s
    problem = s.stop()
    assert problem is None, f"winclip serve {problem}; its log:\n{s.log_tail()}"


@pytest.fixture(scope="module")
def server_with_key(require_browser, winclip_bin, tmp_path_factory, artifacts_dir):
    s = start_server(winclip_bin, tmp_path_factory, artifacts_dir, "serve-api-key", "--api-key", API_KEY)
    yield s
    problem = s.stop()
    assert problem is None, f"winclip serve --api-key {problem}; its log:\n{s.log_tail()}"


# ---------------------------------------------------------------- driving the page

def by_id(driver, element_id):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id)


def wait_until(driver, condition, what):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition, f"timed out waiting for {what}")


def open_page(driver, server):
    driver.get(server.url + "/")
    wait_until(driver, lambda d: by_id(d, "health").get_attribute("class") in ("ok", "bad"), "the health line")
    assert by_id(driver, "health").get_attribute("class") == "ok", by_id(driver, "health").text


def pick_files(driver, input_id, paths):
    by_id(driver, input_id).send_keys("\n".join(str(p) for p in paths))


def drop_files(driver, zone_id, paths):
    """What a drag and drop from the file manager delivers: a drop event whose DataTransfer holds the files."""
    files = [{"name": p.name, "data": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    driver.execute_script("""
        const [zoneId, files] = arguments;
        const transfer = new DataTransfer();
        for (const f of files)
          transfer.items.add(new File([Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0))], f.name));
        const zone = document.getElementById(zoneId);
        for (const type of ['dragenter', 'dragover', 'drop'])
          zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
    """, zone_id, files)


def run_detect(driver):
    driver.execute_script("document.getElementById('status').dataset.state = 'idle'")
    by_id(driver, "detect").click()
    wait_until(driver, lambda d: by_id(d, "status").get_attribute("data-state") == "done"
               and by_id(d, "detect").is_enabled(), "Detect to finish")


def page_cards(driver):
    return driver.execute_script("""
        return [...document.querySelectorAll('#results-grid .card')].map((c) => ({
          name: c.dataset.name, score: c.dataset.score, error: c.dataset.error || '',
          anomalous: c.dataset.anomalous,
          area: c.dataset.areaPixels === undefined ? null : Number(c.dataset.areaPixels)}));""")


def canvas_pixels(driver, selector):
    """Per card: the canvas's size and how many of its pixels are not transparent."""
    return driver.execute_script("""
        return [...document.querySelectorAll(arguments[0])].map((c) => {
          if (!c.width) return {width: 0, height: 0, painted: 0};
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let painted = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i]) ++painted;
          return {width: c.width, height: c.height, painted};
        });""", selector)


def set_threshold_field(driver, t):
    field = by_id(driver, "threshold-value")
    field.clear()
    field.send_keys(repr(float(t)))


def shown_threshold(driver):
    return float(by_id(driver, "anomalous-count").get_attribute("data-threshold"))


def decode_map(entry):
    m = entry["map"]
    assert m["dtype"] == "float32"
    values = np.frombuffer(base64.b64decode(m["data"]), dtype="<f4").reshape(m["height"], m["width"])
    return values.astype(np.float64)  # compared with the threshold in double, as the page's JavaScript does


def check_page_at_threshold(driver, t, answer):
    """The count, the verdicts and the mask areas the page shows at t, from the answer the page received."""
    t = float(t)
    wait_until(driver, lambda d: shown_threshold(d) == t, f"the page to redraw at t = {t}")
    counter = by_id(driver, "anomalous-count")
    scored = [e for e in answer["images"] if e["score"] is not None]
    assert int(counter.get_attribute("data-total")) == len(scored)
    assert int(counter.get_attribute("data-count")) == sum(e["score"] > t for e in scored), f"t = {t}"
    for card, entry in zip(page_cards(driver), answer["images"]):
        if entry["score"] is None:
            assert card["anomalous"] == "" and card["area"] is None
            continue
        assert card["anomalous"] == ("true" if entry["score"] > t else "false"), (card, t)
        assert card["area"] == int(np.count_nonzero(decode_map(entry) > t)), (card, t)
    return int(counter.get_attribute("data-count"))


def wait_for_download(directory, name):
    deadline = time.monotonic() + WAIT
    path = directory / name
    while time.monotonic() < deadline:
        if path.exists() and not list(directory.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    pytest.fail(f"{name} was not downloaded to {directory} (found {sorted(p.name for p in directory.iterdir())})")


def assert_same_scores(page_images, api_images):
    by_name = {e["name"]: e for e in api_images}
    assert sorted(by_name) == sorted(e["name"] for e in page_images)
    for entry in page_images:
        expected = by_name[entry["name"]]
        if expected["score"] is None:
            assert entry["score"] is None and entry["error"], entry
            continue
        assert entry["score"] == pytest.approx(expected["score"], abs=SCORE_TOLERANCE), entry["name"]
        assert np.abs(decode_map(entry) - decode_map(expected)).max() <= SCORE_TOLERANCE, entry["name"]


def detect_zero_shot_on_the_page(driver, server, download_dir, picks):
    """Opens the page, picks the files (one pick per list), runs Detect, and returns the answer the page received,
    downloaded with its own button, after checking it is what the API answers for the same images directly."""
    uploads = [path for pick in picks for path in pick]
    open_page(driver, server)
    by_id(driver, "class-name").send_keys(CLASS_NAME)
    for pick in picks:
        pick_files(driver, "images-input", pick)
    assert by_id(driver, "images-count").text == f"({len(uploads)})"
    run_detect(driver)
    by_id(driver, "download-json").click()
    answer = json.loads(wait_for_download(download_dir, "results.json").read_text())
    assert [e["name"] for e in answer["images"]] == [p.name for p in uploads]
    assert answer["class"] == CLASS_NAME and answer["shots"] == 0
    api = server.call("POST", "/v1/detect", fields=[("class", CLASS_NAME), ("threshold", "0.5")],
                      files=[("image", p) for p in uploads])
    assert_same_scores(answer["images"], api["images"])
    return answer


# ---------------------------------------------------------------- the tests

def test_page_scores_thresholds_and_table_match_the_api(server, browser, download_dir, artifacts_dir, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    driver = browser
    status, headers, html = server.request("GET", "/")
    assert status == 200 and headers.get_content_type() == "text/html"
    # Self-contained: nothing is fetched from another host (inspection PCs are often offline).
    assert not re.search(rb"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)

    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("a text file named like a picture\n")
    uploads = SAMPLES + [not_an_image]
    answer = detect_zero_shot_on_the_page(driver, server, download_dir, [uploads])
    broken = answer["images"][-1]
    assert broken["score"] is None and broken["error"]

    # The cards and the table show those scores, and the broken file's error.
    cards = page_cards(driver)
    assert [c["name"] for c in cards] == [p.name for p in uploads]
    for card, entry in zip(cards, answer["images"]):
        if entry["score"] is None:
            assert card["score"] == "" and card["error"] == entry["error"]
        else:
            assert float(card["score"]) == entry["score"] and card["error"] == ""
    heat = canvas_pixels(driver, "#results-grid .card canvas.heat")
    for canvas, entry in zip(heat, answer["images"]):
        if entry["score"] is not None:  # 320×320 samples: drawn at full size, the map covers all of it
            assert canvas == {"width": 320, "height": 320, "painted": 320 * 320}

    # Thresholds typed exactly between neighbouring scores give every count from 0 to all.
    scores = sorted(e["score"] for e in answer["images"] if e["score"] is not None)
    maps = [decode_map(e) for e in answer["images"] if e["score"] is not None]
    edges = [scores[0] - 0.01] + [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [scores[-1] + 0.01]
    counts = []
    for t in edges:
        set_threshold_field(driver, t)
        counts.append(check_page_at_threshold(driver, t, answer))
    assert counts == list(range(len(scores), -1, -1))
    # Contours: some where t is under a map's maximum, none above every map's maximum.
    set_threshold_field(driver, max(m.max() for m in maps) + 0.01)
    check_page_at_threshold(driver, max(m.max() for m in maps) + 0.01, answer)
    assert all(c["painted"] == 0 for c in canvas_pixels(driver, "#results-grid .card canvas.contour"))
    t = float(np.median(maps[0]))
    set_threshold_field(driver, t)
    check_page_at_threshold(driver, t, answer)
    assert canvas_pixels(driver, "#results-grid .card canvas.contour")[0]["painted"] > 0

    # The slider itself: clicked at several places along it, then stepped with the keyboard.
    slider = by_id(driver, "threshold")
    width = slider.size["width"]
    seen = set()
    for fraction in (0.1, 0.35, 0.5, 0.65, 0.9):
        ActionChains(driver).move_to_element_with_offset(slider, int((fraction - 0.5) * width), 0).click().perform()
        t = float(slider.get_attribute("value"))
        assert abs(t - fraction) < 0.05, f"clicked at {fraction} of the slider, it says {t}"
        check_page_at_threshold(driver, t, answer)
        seen.add(t)
    assert len(seen) == 5
    before = float(slider.get_attribute("value"))
    slider.send_keys(Keys.ARROW_RIGHT)
    t = float(slider.get_attribute("value"))
    assert t == pytest.approx(before + 0.001)
    check_page_at_threshold(driver, t, answer)

    # Overlay opacity: the heat layers follow the slider's ends.
    opacity = by_id(driver, "opacity")
    for key, expected in ((Keys.HOME, "0"), (Keys.END, "1")):
        opacity.send_keys(key)
        assert driver.execute_script(
            "return [...document.querySelectorAll('canvas.heat:not([hidden])')].map((c) => c.style.opacity)"
        ) == [expected] * len(scores)
    opacity.send_keys(Keys.HOME)
    for _ in range(60):
        opacity.send_keys(Keys.ARROW_RIGHT)

    # The table sorts by score, highest first, then lowest first; the unscored image stays last.
    score_header = by_id(driver, "sort-score")
    for direction in ("descending", "ascending"):
        score_header.click()
        assert score_header.get_attribute("aria-sort") == direction
        cells = driver.execute_script(
            "return [...document.querySelectorAll('#results-table tbody td.score')].map((c) => c.dataset.score)")
        shown = [float(c) for c in cells if c]
        assert shown == sorted(scores, reverse=direction == "descending")
        assert cells[-1] == ""

    # A threshold with contours on some images, for the picture.
    set_threshold_field(driver, round(float(np.percentile(np.concatenate([m.ravel() for m in maps]), 90)), 4))
    driver.execute_script("window.scrollTo(0, 0)")
    shot = save_full_page_screenshot(driver, artifacts_dir / "serve-page.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10000


def test_bank_built_on_the_page_is_stored_listed_used_and_deleted(server, browser):
    driver = browser
    open_page(driver, server)
    by_id(driver, "class-name").send_keys(CLASS_NAME)
    drop_files(driver, "refs-drop", REFS)
    assert by_id(driver, "refs-count").text == f"({len(REFS)})"
    name = "page-bank-" + uuid.uuid4().hex[:8]
    by_id(driver, "bank-name").send_keys(name)
    by_id(driver, "bank-build").click()
    wait_until(driver, lambda d: by_id(d, "bank-status").get_attribute("class") in ("good", "bad"), "the bank")
    assert by_id(driver, "bank-status").get_attribute("class") == "good", by_id(driver, "bank-status").text

    listed = {b["name"]: b for b in server.call("GET", "/v1/banks")["banks"]}
    assert name in listed and listed[name]["class"] == CLASS_NAME and listed[name]["shots"] == len(REFS)
    assert by_id(driver, "bank-select").get_attribute("value") == name

    # Detect with the stored bank alone (no class, no references): WinCLIP+ with the same references.
    by_id(driver, "class-name").clear()
    by_id(driver, "refs-clear").click()
    pick_files(driver, "images-input", SAMPLES)
    run_detect(driver)
    cards = page_cards(driver)
    assert all(c["error"] == "" for c in cards), cards
    with_refs = server.call("POST", "/v1/detect", fields=[("class", CLASS_NAME)],
                            files=[("image", p) for p in SAMPLES] + [("ref", p) for p in REFS])
    assert with_refs["shots"] == len(REFS)
    by_name = {e["name"]: e["score"] for e in with_refs["images"]}
    for card in cards:
        assert float(card["score"]) == pytest.approx(by_name[card["name"]], abs=SCORE_TOLERANCE), card

    by_id(driver, "bank-delete").click()
    driver.switch_to.alert.accept()
    wait_until(driver, lambda d: "deleted" in by_id(d, "bank-status").text, "the bank's deletion")
    assert name not in [b["name"] for b in server.call("GET", "/v1/banks")["banks"]]


def test_page_asks_for_the_api_key_and_uses_it(server_with_key, browser):
    from selenium.webdriver.common.keys import Keys
    driver = browser
    open_page(driver, server_with_key)  # health needs no key
    wait_until(driver, lambda d: "401" in by_id(d, "bank-status").text, "the bank list's 401")
    by_id(driver, "class-name").send_keys(CLASS_NAME)
    pick_files(driver, "images-input", SAMPLES)
    run_detect(driver)
    cards = page_cards(driver)
    assert len(cards) == len(SAMPLES)
    assert all(c["score"] == "" and "401" in c["error"] for c in cards), cards
    assert by_id(driver, "anomalous-count").get_attribute("data-total") == "0"

    by_id(driver, "api-key").send_keys(API_KEY, Keys.TAB)  # the change event reloads the banks with the key
    wait_until(driver, lambda d: by_id(d, "bank-status").get_attribute("class") == "muted", "the bank list")
    driver.execute_script("document.querySelector('#setup details').open = true")
    by_id(driver, "out-overlay").click()
    run_detect(driver)
    # The server's own overlays came too, at the images' resolution.
    wait_until(driver, lambda d: d.execute_script(
        "return [...document.querySelectorAll('img[alt=\"server overlay\"]')].every((i) => i.complete)"),
        "the server's overlays to decode")
    overlays = driver.execute_script("""
        return [...document.querySelectorAll('#results-grid .card')].map((c) => {
          const img = c.querySelector('img[alt="server overlay"]');
          return img ? [img.naturalWidth, img.naturalHeight] : null; });""")
    assert overlays == [[320, 320]] * len(SAMPLES)
    api = server_with_key.call("POST", "/v1/detect", fields=[("class", CLASS_NAME)],
                               files=[("image", p) for p in SAMPLES], key=API_KEY)
    by_name = {e["name"]: e["score"] for e in api["images"]}
    cards = page_cards(driver)
    assert [c["name"] for c in cards] == [p.name for p in SAMPLES]
    for card in cards:
        assert card["error"] == "" and float(card["score"]) == pytest.approx(by_name[card["name"]],
                                                                              abs=SCORE_TOLERANCE)


def test_many_images_are_sent_in_groups_and_merged_in_upload_order(server, browser, download_dir, tmp_path):
    uploads = []
    for k in range(21):  # more than one request's worth of images for the page
        sample = SAMPLES[k % len(SAMPLES)]
        uploads.append(tmp_path / f"part{k:02d}_{sample.name}")
        uploads[-1].write_bytes(sample.read_bytes())
    # Two picks: the second adds to the first.
    detect_zero_shot_on_the_page(browser, server, download_dir, [uploads[:10], uploads[10:]])
    assert by_id(browser, "anomalous-count").get_attribute("data-total") == str(len(uploads))
