"""Screenshots of the search page for the README, taken with headless Chromium.

    python -m web.screenshots [--index DIR] [--out docs/screenshots] [--query "q=đại hội"]
    python -m web.screenshots --index DIR --timeline "q=bão"   # docs/screenshots/timeline.png

Serves the app with waitress on a free loopback port, then saves search-desktop.png
(1280×900) and search-phone.png (390×844); with --timeline, only the timeline of that search
(timeline.png, the chart as a desktop browser shows it). Needs the test extra (selenium) and Debian's
chromium + chromedriver (`make browser`).
"""
from __future__ import annotations

import argparse
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
VIEWPORTS = {"search-desktop.png": (1280, 900, False), "search-phone.png": (390, 844, True)}
DEFAULT_QUERY = "q=%C4%91%E1%BA%A1i+h%E1%BB%99i&year=2020"  # đại hội, one filter chosen


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium driven by selenium, with a throwaway profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    with tempfile.TemporaryDirectory(prefix="vnsearch-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def set_viewport(driver, width: int, height: int, mobile: bool = False) -> None:
    """The exact CSS viewport (a window size would include the browser's own frame)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def take_screenshots(driver, url: str, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    driver.get(url)  # warm up: the first search of a process loads the word segmenter
    saved = []
    for name, (width, height, mobile) in VIEWPORTS.items():
        set_viewport(driver, width, height, mobile)
        driver.get(url)
        driver.save_screenshot(str(out_dir / name))
        saved.append(out_dir / name)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return saved


def take_element_screenshot(driver, url: str, selector: str, path: Path, width: int = 1280) -> Path:
    """One element of a page (a CSS selector), at a desktop width."""
    from selenium.webdriver.common.by import By

    path.parent.mkdir(parents=True, exist_ok=True)
    set_viewport(driver, width, 900)
    driver.get(url)  # warm up, as above
    driver.get(url)
    driver.find_element(By.CSS_SELECTOR, selector).screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


@contextmanager
def serve(app) -> Iterator[str]:
    """The app on a free 127.0.0.1 port in a background thread; yields its base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    from . import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index container (default: VNSEARCH_INDEX or index_data/index)")
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    parser.add_argument("--query", default=DEFAULT_QUERY, help="query string of the page to show")
    parser.add_argument("--timeline", metavar="QUERY", help="only the timeline of this search: timeline.png")
    args = parser.parse_args(argv)
    with serve(create_app(args.index)) as base, chromium() as driver:
        if args.timeline:
            print(take_element_screenshot(driver, f"{base}/search?{args.timeline}", "figure.timeline",
                                          args.out / "timeline.png"))
            return
        for path in take_screenshots(driver, f"{base}/search?{args.query}", args.out):
            print(path)


if __name__ == "__main__":
    main()
