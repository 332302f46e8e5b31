"""Shared fixtures of the headless-browser tests: Debian's Chromium driven through chromedriver by Selenium
(packages chromium, chromium-driver, python3-selenium; scripts/setup installs them). ctest runs this folder with
/usr/bin/python3 and sets WINCLIP_BIN (the `winclip` program of the build) and WINCLIP_BROWSER_ARTIFACTS (where
screenshots and logs go, under the build directory).

Fixtures: `require_browser` (skips when Chromium is absent), `browser` (a fresh headless Chrome per test, quit
afterwards), `download_dir` (where that browser's downloads land), `artifacts_dir`, `winclip_bin`,
`full_page_screenshot`; and the function `save_full_page_screenshot(driver, path)`."""
import base64
import ctypes
import os
import pathlib
import shutil
import signal
import tempfile

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROOT = pathlib.Path(__file__).resolve().parents[2]
_PRCTL = ctypes.CDLL(None).prctl  # looked up before any fork: a forked child runs no loader code


def die_with_parent():
    """preexec_fn of the processes a test starts (servers, chromedriver): they must not outlive the test run,
    even when ctest kills pytest on a timeout."""
    _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _missing_browser_parts():
    missing = [f"{path} ({package})" for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver"))
               if not os.access(path, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium module (python3-selenium)")
    return missing


@pytest.fixture(scope="session")
def winclip_bin():
    path = os.environ.get("WINCLIP_BIN", "")
    assert path and os.access(path, os.X_OK), "WINCLIP_BIN must name the built winclip program (ctest sets it)"
    return path


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.environ.get("WINCLIP_BROWSER_ARTIFACTS")
    if not path:  # run by hand, outside ctest
        path = tempfile.mkdtemp(prefix="winclip-browser-")
        print(f"screenshots and logs in {path} (set WINCLIP_BROWSER_ARTIFACTS to choose)")
    path = pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def download_dir(tmp_path):
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def require_browser():
    """Skips when the browser is absent; fixtures that start servers for a browser ask for it first."""
    missing = _missing_browser_parts()
    if missing:
        # ctest's SKIP_REGULAR_EXPRESSION matches this text, so the run reports the test skipped, not passed.
        pytest.skip("browser tests skipped: " + ", ".join(missing) + " not installed (scripts/setup installs them)")


@pytest.fixture
def browser(require_browser, tmp_path, download_dir):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path / "chromium-profile"
    # --no-sandbox: Chromium refuses to run as root with its sandbox (CI runs as root), and it only ever opens
    # pages of the build under test on loopback.
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--window-size=1400,1000", "--force-device-scale-factor=1", "--hide-scrollbars",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                              "download.prompt_for_download": False})
    service = Service(executable_path=CHROMEDRIVER, popen_kw={"preexec_fn": die_with_parent})
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def save_full_page_screenshot(driver, path):
    """The whole page as PNG, not only the window: DevTools' capture with a clip of the page's full size."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path = pathlib.Path(path)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@pytest.fixture
def full_page_screenshot():
    """save_full_page_screenshot as a fixture, for test files that do not import conftest."""
    return save_full_page_screenshot
