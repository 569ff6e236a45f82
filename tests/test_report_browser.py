"""The report opened in headless Chromium at a desktop width (1400 px) and a phone width (390 px):
every chart rendered (an SVG with marks inside each chart container), no console errors, no
horizontal overflow of the page, no chart wider than the viewport, and the country page works
(choose a country: its figures, timeline and disagreements appear). Screenshots of the whole page
are saved under the test's temporary folder, or in $FTF_REPORT_SCREENSHOTS when set. Needs the Debian packages chromium and
chromium-driver (`make browser`, which `make test` runs first)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from flows.catalog import load_catalog
from tests.warehouse.test_marts import mirror_warehouse
from warehouse.datapackage import datapackage_extra
from warehouse.publish import publish
from warehouse.report import REPORT, TIMELINE_COUNTRIES, report_extra

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHARTS = ["top_travelled", "top_returned", "return_rates", "per_million", "country_timeline"]
WIDTHS = [1400, 390]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]
SETTLED = ("return [...document.querySelectorAll('.vega-chart')]"
           ".every(e => e.dataset.rendered === 'true' || e.classList.contains('failed'))")

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="headless Chromium missing: run `make browser` (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    home = mirror_warehouse(tmp_path_factory)
    con = duckdb.connect(str(home.db))
    try:
        sources = load_catalog().values()
        publish(con, home.published, run_id="browser-test",
                extra=[datapackage_extra(sources, con), report_extra(con, sources)])
    finally:
        con.close()
    return home.published / REPORT


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path_factory.mktemp("chromium"))
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


def open_at(browser, report: Path, width: int) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(width, 1000)
    browser.get(report.as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(SETTLED))


def screenshot(browser, path: Path, width: int) -> Path:
    """The whole page (the window made as tall as the page), as a person scrolling it would see it."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(height + 100, 16_000))
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000
    if os.environ.get("FTF_REPORT_SCREENSHOTS"):
        keep = Path(os.environ["FTF_REPORT_SCREENSHOTS"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, keep / path.name)
    return path


def chart_boxes(browser) -> dict[str, tuple]:
    """Per chart container: its SVG's (left, right, width, height) and how many marks it drew."""
    from selenium.webdriver.common.by import By

    boxes = {}
    for container in browser.find_elements(By.CSS_SELECTOR, ".vega-chart"):
        name = container.get_attribute("data-chart")
        svgs = container.find_elements(By.CSS_SELECTOR, "svg")
        assert len(svgs) == 1, name
        marks = container.find_elements(By.CSS_SELECTOR, "g.mark-rect path, g.mark-symbol path, g.mark-line path")
        box = browser.execute_script("var r = arguments[0].getBoundingClientRect(); "
                                     "return [r.left, r.right, r.width, r.height, r.top]", svgs[0])
        boxes[name] = (*box, len(marks))
    return boxes


@pytest.mark.parametrize("width", WIDTHS)
def test_report_fits_the_screen_and_renders_every_chart(report, browser, tmp_path, width):
    from selenium.webdriver.common.by import By

    open_at(browser, report, width)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    assert browser.find_elements(By.CSS_SELECTOR, ".vega-chart.failed") == []
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= viewport, f"the page overflows sideways at {width} px: {page_width} > {viewport}"
    boxes = chart_boxes(browser)
    assert set(CHARTS) <= set(boxes) and len([n for n in boxes if n.startswith("timeline_")]) == TIMELINE_COUNTRIES
    for name, (left, right, box_width, height, _, marks) in boxes.items():
        assert left >= 0 and right <= viewport, f"{name} is wider than the {viewport} px viewport: {left}–{right}"
        assert box_width > min(250, viewport * 0.6) and height > 100 and marks >= 3, (name, boxes[name])
    if width < 600:  # on a phone side-by-side charts are stacked, each the whole width
        assert boxes["top_travelled"][0] == boxes["top_returned"][0]
        assert boxes["top_travelled"][4] < boxes["top_returned"][4]
    # tables stay in their own box: a wide one scrolls inside it, never the page
    for box in browser.find_elements(By.CSS_SELECTOR, ".table-box"):
        assert box.rect["x"] >= 0 and box.rect["x"] + box.rect["width"] <= viewport + 0.5
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "at least 5,600 from 33 countries" in page
    assert browser.find_elements(By.CSS_SELECTOR, "#disagreements + p + .table-box table tbody tr")
    screenshot(browser, tmp_path / f"report-{width}.png", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_country_page_shows_the_chosen_countrys_figures_timeline_and_disagreements(report, browser, width):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    open_at(browser, report, width)
    select = Select(browser.find_element(By.ID, "country-select"))
    assert select.first_selected_option.get_attribute("value") == "RUS"
    select.select_by_value("TUN")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "country-select").get_attribute("data-shown") == "TUN")
    figures = browser.find_elements(By.CSS_SELECTOR, "#country-figures tbody tr")
    texts = [" ".join(row.text.split()) for row in figures]
    assert len(figures) >= 5 and all("Tunisia" in t or "tunisia" in t.lower() for t in texts)
    assert any("Soufan Dec 2015" in t and "6,000" in t for t in texts)
    assert any("range 1,500–3,000" in t for t in texts)  # a range as published, its qualifier beside it
    assert any("Soufan Jun 2014" in t and "more than more than 3,000" in t for t in texts)
    link = browser.find_element(By.CSS_SELECTOR, "#country-figures tbody tr td a")
    assert link.get_attribute("href").startswith("http")
    disagreements = [" ".join(row.text.split()) for row in browser.find_elements(By.CSS_SELECTOR, "#country-disagreements tbody tr")]
    assert any(t.startswith("travelled") and "soufan_2014_06" in t for t in disagreements)
    # the timeline now draws Tunisia: its labels include the 6,000 of Soufan Dec 2015 and no Russian 3,417
    WebDriverWait(browser, 10).until(lambda d: "6,000" in d.find_element(By.ID, "chart-country_timeline").text)
    assert "3,417" not in browser.find_element(By.ID, "chart-country_timeline").text
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= browser.execute_script("return document.documentElement.clientWidth")
