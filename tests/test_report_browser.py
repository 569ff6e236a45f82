"""The report opened in headless Chromium: every chart rendered (an SVG with marks inside each
chart container), no console errors, a screenshot saved. Needs the Debian packages chromium and
chromium-driver (`make browser`, which `make test` runs first)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from flows.catalog import load_catalog
from tests.warehouse.test_marts import mirror_warehouse
from warehouse.publish import publish
from warehouse.report import REPORT, report_extra

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHARTS = ["top_travelled", "top_returned", "return_rates", "per_million", "timelines"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1800"]

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="headless Chromium missing: run `make browser` (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    home = mirror_warehouse(tmp_path_factory)
    con = duckdb.connect(str(home.db))
    try:
        publish(con, home.published, run_id="browser-test", extra=[report_extra(con, load_catalog().values())])
    finally:
        con.close()
    return home.published / REPORT


@pytest.fixture()
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_report_renders_every_chart_without_console_errors(report, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(report.as_uri())
    settled = "return document.querySelectorAll('.vega-chart[data-rendered=\"true\"], .vega-chart.failed').length"
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(settled) == len(CHARTS))
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    assert browser.find_elements(By.CSS_SELECTOR, ".vega-chart.failed") == []
    containers = {el.get_attribute("data-chart"): el for el in browser.find_elements(By.CSS_SELECTOR, ".vega-chart")}
    assert sorted(containers) == sorted(CHARTS)
    for name, container in containers.items():
        svgs = container.find_elements(By.CSS_SELECTOR, "svg")
        assert len(svgs) == 1, name
        marks = container.find_elements(By.CSS_SELECTOR, "g.mark-rect path, g.mark-symbol path, g.mark-line path")
        assert len(marks) >= 5, f"{name}: {len(marks)} marks"
        box = svgs[0].rect
        assert box["width"] > 200 and box["height"] > 100, (name, box)
    # the tables are there too: headline figures and the disagreement table
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "at least 5,600 from 33 countries" in page
    assert browser.find_elements(By.CSS_SELECTOR, "#disagreements + p + .scroll table tbody tr")
