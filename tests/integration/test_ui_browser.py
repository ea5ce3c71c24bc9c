"""The status page at /ui in a real browser: Debian's chromium, headless, driven by Selenium through
/usr/bin/chromedriver (nothing downloads a browser or a driver). A real worker runs a PostgreSQL →
topic JDBC pipeline and a connector whose task fails; on a laptop and on a phone viewport the page
shows both, its figures move when rows are inserted, its Pause button pauses the connector (checked
through REST) and the failed task's trace opens. With Basic authentication on, the page loads with
credentials and answers 401 without.

``DBCONNECT_UI_SCREENSHOTS=docs/images`` saves the screenshots the README shows (ui-laptop.png,
ui-phone.png); otherwise they go to the test's tmp_path."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .jdbc_helpers import Db, wait_until

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")
VIEWPORTS = {"laptop": (1366, 860), "phone": (390, 844)}
FAILING = "tests.integration.task_process_plugins:FailingStartSourceConnector"
ADMIN = ("admin", "correct horse")


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if not missing:
        return
    message = f"{' and '.join(missing)} missing: apt-get install chromium chromium-driver (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def open_browser(tmp_path):
    """``open_browser(viewport)``: a fresh headless chromium with its own profile; quit at teardown."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(viewport: str):
        width, height = VIEWPORTS[viewport]
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tmp_path / f'chromium-{viewport}-{len(drivers)}'}")
        if viewport == "phone":
            # A phone's CSS viewport and pixel ratio, as Chrome's device toolbar sets them.
            options.add_experimental_option("mobileEmulation", {
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "mobile": True, "touch": True}})
        else:
            options.add_argument(f"--window-size={width},{height}")
        # The service path is given, so Selenium Manager is never consulted (it would download).
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


def screenshots_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("DBCONNECT_UI_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def card(driver, name: str):
    return driver.find_element("css selector", f'article[data-connector="{name}"]')


def shown(driver, name: str, selector: str) -> str | None:
    """The text of ``selector`` in the connector's card as the page shows it now (None while absent;
    the page redraws every 2 s, so an element may go stale between find and read)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    try:
        return card(driver, name).find_element("css selector", selector).text
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def click(driver, name: str, selector: str, timeout: float = 15.0) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    def clicked() -> bool:
        try:
            card(driver, name).find_element("css selector", selector).click()
            return True
        except (NoSuchElementException, StaleElementReferenceException):
            return False
    wait_until(clicked, timeout=timeout, interval=0.05, what=f"click {selector} of {name}")


def _alert(driver):
    """The page's open confirm() dialog, or None."""
    from selenium.common.exceptions import NoAlertPresentException
    try:
        alert = driver.switch_to.alert
        alert.text  # raises while no dialog is open
        return alert
    except NoAlertPresentException:
        return None


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_status_page_shows_a_live_jdbc_pipeline_pauses_it_and_shows_a_failed_trace(
        viewport, open_browser, start_worker, postgres, broker, topic_name, tmp_path):
    db = Db("postgresql", postgres)
    db.execute(f"CREATE TABLE items ({db.serial}, name VARCHAR(40) NOT NULL, "
               f"updated_at {db.ts_type} NOT NULL DEFAULT now())")
    db.execute("INSERT INTO items (name) VALUES ('a'), ('b'), ('c')")
    worker = start_worker()
    config = db.config(mode="timestamp+incrementing", **{
        "timestamp.column.name": "updated_at", "incrementing.column.name": "id", "topic.prefix": f"{topic_name}-"})
    assert worker.put("/connectors/pg-items/config", json=config).status_code == 201
    failing = {"connector.class": FAILING, "heartbeat.file": str(tmp_path / "beat")}
    assert worker.put("/connectors/broken/config", json=failing).status_code == 201
    status = worker.wait_for_state("pg-items")
    worker.wait_for_task_state("broken", 0, "FAILED")
    wait_until(lambda: worker.get("/connectors/pg-items/offsets").json()["offsets"], what="a first offset")
    # The sink, into a copy of the table. Its name is the test's own: a sink's offsets are those of
    # its consumer group connect-<name> on the session's broker, whatever topics earlier tests used.
    copy = f"pg-copy-{viewport}"
    sink = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1",
            "topics": f"{topic_name}-items", "connection.url": postgres.jdbc_url(db.name),
            "connection.user": postgres.user, "connection.password": postgres.password,
            "auto.create": "true", "table.name.format": "items_copy", "insert.mode": "upsert",
            "pk.mode": "record_value", "pk.fields": "id"}
    assert worker.put(f"/connectors/{copy}/config", json=sink).status_code == 201

    driver = open_browser(viewport)
    driver.get(worker.url + "/ui")
    assert driver.title == "dbconnect status"
    # The connectors, their states and worker ids, as GET /connectors?expand=status says.
    wait_until(lambda: shown(driver, "pg-items", ".head .state") == "RUNNING", what="pg-items RUNNING on the page")
    wait_until(lambda: shown(driver, "broken", 'tr[data-task="0"] .state') == "FAILED", what="broken's task FAILED")
    assert shown(driver, "pg-items", 'tr[data-task="0"] .state') == "RUNNING"
    assert shown(driver, "pg-items", 'tr[data-task="0"] td.mono') == status["tasks"][0]["worker_id"]
    assert status["connector"]["worker_id"] in shown(driver, "pg-items", ".meta")
    assert "JdbcSourceConnector" in shown(driver, "pg-items", ".meta")
    wait_until(lambda: shown(driver, "pg-items", '[data-figure="offset"]') == "3", what="offset 3 shown")
    assert "incrementing: 3" in shown(driver, "pg-items", "table.offsets")
    # The sink's task may start after the page's first refresh (its PUT came last): the summary
    # counts it once GET /connectors?expand=status lists it.
    worker.wait_for_task_state(copy, 0, "RUNNING")
    wait_until(lambda: driver.find_element("id", "summary").text == "3 connectors · 3 tasks · 1 failed",
               what="the summary line, all three connectors' tasks counted")

    # The numbers move: four rows more, the page's offset reaches 7 and its throughput is above zero.
    db.execute("INSERT INTO items (name) VALUES ('d'), ('e'), ('f'), ('g')")
    rates = []

    def moved() -> bool:
        rate = shown(driver, "pg-items", '[data-figure="rate"]')
        if rate and rate.endswith("/s"):
            rates.append(float(rate[:-2]))
        return shown(driver, "pg-items", '[data-figure="offset"]') == "7" and any(r > 0 for r in rates)
    wait_until(moved, timeout=60, interval=0.05, what="offset 7 and a throughput above zero on the page")
    assert "incrementing: 7" in shown(driver, "pg-items", "table.offsets")
    # Lag: now − the newest updated_at delivered (rows written seconds ago, in the database's clock).
    lag = shown(driver, "pg-items", '[data-figure="lag"]')
    assert lag.endswith(" s") and 0 <= float(lag[:-2]) < 60, lag
    # The sink's figure is the records it consumed (the sum of its committed Kafka offsets): all 7,
    # written to the table by then (offsets are committed after the rows).
    wait_until(lambda: shown(driver, copy, '[data-figure="offset"]') == "7", timeout=60,
               what="the sink's offset 7 on the page")
    assert db.execute("SELECT count(*) FROM items_copy")[0][0] == 7
    assert "sink · io.confluent.connect.jdbc.JdbcSinkConnector" in shown(driver, copy, ".meta")

    # The failed task's trace: folded, then readable once opened.
    trace = card(driver, "broken").find_element("css selector", 'details[data-trace="broken/0"]')
    assert not trace.find_element("css selector", "pre").is_displayed()
    click(driver, "broken", 'details[data-trace="broken/0"] summary')
    wait_until(lambda: "boom: this task never starts" in (shown(driver, "broken", 'details[data-trace="broken/0"] pre') or ""),
               what="the trace shown")
    pre = card(driver, "broken").find_element("css selector", 'details[data-trace="broken/0"] pre')
    assert pre.is_displayed()
    # The page redraws only what changed: across two refreshes the trace (which a user may be
    # selecting to copy it) is the same element, still open.
    for _ in range(2):
        updated = driver.find_element("id", "updated").text
        wait_until(lambda: driver.find_element("id", "updated").text != updated, what="a refresh")
    assert pre.is_displayed() and "boom: this task never starts" in pre.text
    # Readable on this viewport: nothing wider than the screen.
    assert no_horizontal_scroll(driver), driver.execute_script("return document.documentElement.scrollWidth")
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(screenshots_dir(tmp_path) / f"ui-{viewport}.png"))

    # Pause from the page: REST says PAUSED, and so does the page; Resume brings it back.
    click(driver, "pg-items", 'button[data-action="pause"]')
    worker.wait_for_state("pg-items", "PAUSED")
    wait_until(lambda: shown(driver, "pg-items", ".head .state") == "PAUSED", what="PAUSED on the page")
    click(driver, "pg-items", 'button[data-action="resume"]')
    worker.wait_for_state("pg-items", "RUNNING")
    # Restart with its tasks, from the page: REST accepts it (202) and the task, whose start
    # raises, fails again.
    click(driver, "broken", 'button[data-action="restart"]')
    wait_until(lambda: "Restart: broken (HTTP 202)" in driver.find_element("id", "banner").text,
               what="the restart acknowledged")
    worker.wait_for_task_state("broken", 0, "FAILED")
    # Stop from the page asks first. Dismissed, nothing is sent: the page's next call (a pause)
    # answers, and the connector is PAUSED with its task, not STOPPED (a stop removes its tasks).
    click(driver, "pg-items", 'button[data-action="stop"]')
    alert = wait_until(lambda: _alert(driver), what="the stop confirmation")
    assert "Stop pg-items?" in alert.text
    alert.dismiss()
    click(driver, "pg-items", 'button[data-action="pause"]')
    wait_until(lambda: "Pause: pg-items (HTTP 202)" in driver.find_element("id", "banner").text,
               what="the pause acknowledged")
    worker.wait_for_state("pg-items", "PAUSED", tasks=1)
    assert not [url for url in driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)") if url.endswith("/stop")]
    # Accepted, it stops.
    click(driver, "pg-items", 'button[data-action="stop"]')
    wait_until(lambda: _alert(driver), what="the stop confirmation").accept()
    worker.wait_for_state("pg-items", "STOPPED", tasks=0)
    wait_until(lambda: shown(driver, "pg-items", ".head .state") == "STOPPED", what="STOPPED on the page")


def _credentials_file(tmp_path: Path) -> Path:
    path = tmp_path / "rest-credentials.properties"
    # The README's way: dbconnect passwd, the password on standard input.
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "passwd", str(path), ADMIN[0], "--rounds", "6"],
                   input=ADMIN[1] + "\n", text=True, check=True, capture_output=True)
    return path


def test_status_page_with_basic_authentication(open_browser, start_worker, tmp_path):
    worker = start_worker(credentials=ADMIN, **{"rest.basic.auth.credentials.file": str(_credentials_file(tmp_path))})
    failing = {"connector.class": FAILING, "heartbeat.file": str(tmp_path / "beat")}
    assert worker.put("/connectors/broken/config", json=failing).status_code == 201
    worker.wait_for_task_state("broken", 0, "FAILED")

    # Without credentials: the challenge that makes a browser prompt, for the page and its files.
    for path in ("/ui", "/ui/app.js", "/ui/style.css"):
        response = requests.get(worker.url + path, timeout=30)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic realm="), path
    # A browser without them gets the challenge (headless, its login prompt stays unanswered): no page.
    anonymous = open_browser("laptop")
    anonymous.get(worker.url + "/ui")
    assert anonymous.title != "dbconnect status"
    assert not anonymous.find_elements("id", "connectors")

    # With them, sent as the browser sends them once the prompt was answered (on every request of
    # the origin, the page's fetch calls included).
    driver = open_browser("laptop")
    driver.execute_cdp_cmd("Network.enable", {})
    token = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}})
    driver.get(worker.url + "/ui")
    wait_until(lambda: shown(driver, "broken", 'tr[data-task="0"] .state') == "FAILED", what="broken's task FAILED")
    assert shown(driver, "broken", ".head .state") == "RUNNING"
    assert "version" in driver.find_element("id", "worker").text


def test_a_missing_browser_is_a_skip_locally_and_a_failure_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium missing: apt-get install chromium"):
        _require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI: .*no-chromium missing"):
        _require_browser()
