"""The HTML drift report in a real browser: Debian's headless Chromium driven through chromedriver.

The page is the "fleet" golden case rendered to a file and opened from disk. A screenshot is kept
under the test's tmp_path and copied to .reconcile/artifacts/ in the repository for people to see.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from reconciler.drift import DriftReport
from reconciler.render.drift_views import render_drift
from tests.conftest import required

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / ".reconcile" / "artifacts"
CASE = Path(__file__).parent / "drift_cases" / "fleet" / "report.json"

MISSING = not (CHROMIUM.is_file() and CHROMEDRIVER.is_file())
WHY = (
    f"headless browser test needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
    "apt-get install -y chromium chromium-driver"
)
# Skipped where Chromium is missing, except in CI (.ci/run installs it), where that is a failure.
pytestmark = pytest.mark.skipif(MISSING and not required("RECONCILE_REQUIRE_CHROMIUM"), reason=WHY)


@pytest.fixture
def report() -> DriftReport:
    return DriftReport.model_validate_json(CASE.read_text(encoding="utf-8"))


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    if MISSING:
        pytest.fail(f"RECONCILE_REQUIRE_CHROMIUM=1: {WHY}")
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download a driver
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: WebDriver, report: DriftReport, tmp_path: Path) -> WebDriver:
    path = tmp_path / "drift.html"
    path.write_text(render_drift(report, "html", color=False), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def rows(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#spaces tr[data-id]")


def visible_ids(driver: WebDriver) -> list[str]:
    return [str(r.get_attribute("data-id")) for r in rows(driver) if r.is_displayed()]


def click_header(driver: WebDriver, key: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#spaces th[data-sort="{key}"] button').click()


def screenshot(driver: WebDriver, path: Path) -> Path:
    """The whole page (the window grown to its height, up to a limit), copied to .reconcile/artifacts/."""
    width = int(driver.execute_script("return window.outerWidth"))
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(height + 120, 4000))
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.save_screenshot(str(path))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / path.name)
    return path


def test_page_shows_every_space_with_its_status(page: WebDriver, report: DriftReport) -> None:
    assert page.title.startswith("Drift report: 3 drifted, 1 failed, 1 missing, 2 unmanaged, 2 in sync")
    shown = {str(r.get_attribute("data-id")): str(r.get_attribute("data-status")) for r in rows(page)}
    assert shown == {e.id: e.status.value for e in report.spaces}
    assert all(r.is_displayed() for r in rows(page))
    chips = {
        str(c.get_attribute("data-filter")): " ".join(c.text.split())
        for c in page.find_elements(By.CSS_SELECTOR, "[data-filter]")
    }
    assert chips == {
        "failed": "1 failed",
        "missing": "1 missing",
        "drifted": "3 drifted",
        "unmanaged": "2 unmanaged",
        "in_sync": "2 in sync",
    }
    # The inline script ran (its CSP hash matched): it reveals the filter controls and counts rows.
    assert page.find_element(By.ID, "controls").is_displayed()
    assert page.find_element(By.ID, "shown").text == "Showing 9 of 9"
    # Nothing was fetched: no resource entries, no CSP violation or other error in the console.
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    problems = [entry["message"] for entry in page.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == []


def test_a_status_filter_hides_the_other_rows(page: WebDriver) -> None:
    chip = page.find_element(By.CSS_SELECTOR, '[data-filter="drifted"]')
    chip.click()
    assert visible_ids(page) == ["acme/chat-demo", "acme/data-viewer", "acme/docs-site"]
    assert chip.get_attribute("aria-pressed") == "true"
    assert page.find_element(By.ID, "shown").text == "Showing 3 of 9"
    hidden = [r for r in rows(page) if not r.is_displayed()]
    assert {r.get_attribute("data-status") for r in hidden} == {"failed", "missing", "unmanaged", "in_sync"}

    page.find_element(By.CSS_SELECTOR, '[data-filter="failed"]').click()
    assert visible_ids(page) == ["acme/broken-build"]
    page.find_element(By.CSS_SELECTOR, '[data-filter="failed"]').click()  # again: every status
    assert len(visible_ids(page)) == 9


def test_the_text_box_filters_on_ids_and_details(page: WebDriver) -> None:
    box = page.find_element(By.ID, "filter")
    box.send_keys("alice")  # an author, only in the docs site's attribution
    assert visible_ids(page) == ["acme/docs-site"]
    box.clear()
    box.send_keys("no such space")
    assert visible_ids(page) == []
    assert page.find_element(By.ID, "empty").is_displayed()


SEVERITY_ORDER = ["failed", "missing", "drifted", "drifted", "drifted", "unmanaged", "unmanaged"] + ["in_sync"] * 2


def test_the_page_opens_most_severe_first_with_drifted_and_failed_spaces_expanded(
    page: WebDriver, tmp_path: Path
) -> None:
    statuses = [r.get_attribute("data-status") for r in rows(page)]
    assert statuses == SEVERITY_ORDER
    drifted = [str(r.get_attribute("data-id")) for r in rows(page) if r.get_attribute("data-status") == "drifted"]
    assert drifted == sorted(drifted) == ["acme/chat-demo", "acme/data-viewer", "acme/docs-site"]
    assert page.find_element(By.CSS_SELECTOR, 'th[data-sort="rank"]').get_attribute("aria-sort") == "ascending"
    for group in page.find_elements(By.CSS_SELECTOR, "#spaces > tbody"):
        status = group.find_element(By.CSS_SELECTOR, "tr[data-id]").get_attribute("data-status")
        detail = group.find_element(By.CSS_SELECTOR, ".detail")
        assert detail.is_displayed() == (status in ("drifted", "failed")), status
    failed = page.find_element(By.XPATH, '//tr[@data-id="acme/broken-build"]/parent::tbody')
    assert "try a newer torch" in failed.find_element(By.CSS_SELECTOR, ".detail").text
    # The page as a person first sees it.
    assert screenshot(page, tmp_path / "drift-report-opened.png").stat().st_size > 10_000


def test_clicking_headers_sorts_the_table(page: WebDriver) -> None:
    by_id = sorted(str(r.get_attribute("data-id")) for r in rows(page))
    click_header(page, "id")
    assert visible_ids(page) == by_id
    assert page.find_element(By.CSS_SELECTOR, 'th[data-sort="id"]').get_attribute("aria-sort") == "ascending"
    click_header(page, "rank")
    assert [r.get_attribute("data-status") for r in rows(page)] == SEVERITY_ORDER
    assert page.find_element(By.CSS_SELECTOR, 'th[data-sort="rank"]').get_attribute("aria-sort") == "ascending"
    click_header(page, "rank")
    assert [r.get_attribute("data-status") for r in rows(page)][:2] == ["in_sync", "in_sync"]
    click_header(page, "changes")
    assert [r.get_attribute("data-changes") for r in rows(page)][-1] == "5"
    click_header(page, "id")
    assert visible_ids(page) == by_id
    # A detail row moves with its Space.
    first = page.find_element(By.CSS_SELECTOR, "#spaces > tbody:first-of-type")
    assert first.find_element(By.CSS_SELECTOR, "tr[data-id]").get_attribute("data-id") == by_id[0]


def test_details_expand_and_screenshot(page: WebDriver, tmp_path: Path) -> None:
    group = page.find_element(By.XPATH, '//tr[@data-id="acme/api"]/parent::tbody')  # in sync: closed
    details = group.find_element(By.TAG_NAME, "details")
    assert not group.find_element(By.CSS_SELECTOR, ".detail").is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    assert group.find_element(By.CSS_SELECTOR, ".detail").is_displayed()
    chat = page.find_element(By.XPATH, '//tr[@data-id="acme/chat-demo"]/parent::tbody')  # drifted: open
    detail = chat.find_element(By.CSS_SELECTOR, ".detail")
    assert "spec.secrets.HF_TOKEN" in detail.text and "(sensitive)" in detail.text
    assert "requested t4-small" in detail.text and "DEBUG" in detail.text
    chat.find_element(By.TAG_NAME, "summary").click()  # a click still closes it
    assert not chat.find_element(By.CSS_SELECTOR, ".detail").is_displayed()
    docs = page.find_element(By.XPATH, '//tr[@data-id="acme/docs-site"]/parent::tbody')
    assert "alice · Update index.html" in docs.find_element(By.CSS_SELECTOR, ".detail").text

    shot = screenshot(page, tmp_path / "drift-report.png")
    assert shot.stat().st_size > 10_000


def test_readable_on_a_phone(page: WebDriver, tmp_path: Path) -> None:
    page.set_window_size(390, 844)
    width = page.execute_script("return window.innerWidth")
    assert width <= 500
    # The page itself never scrolls sideways; wide tables scroll inside their own box.
    assert page.execute_script("return document.documentElement.scrollWidth") <= width
    assert all(r.is_displayed() for r in rows(page))
    # Drifted details are open from the start: wide tables inside them scroll in their own box.
    assert page.execute_script("return document.documentElement.scrollWidth") <= width
    screenshot(page, tmp_path / "drift-report-phone.png")
