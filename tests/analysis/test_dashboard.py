"""The regression dashboard (daxbench_analysis.dashboard): the verdicts it embeds, and the page
as headless Chromium renders it — charts drawn, the regression marked, filters from the URL,
no script errors — plus a screenshot to look at."""
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import fixtures
from daxbench_analysis import dashboard, history

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_TIMEOUT_S = 60
# The screenshot is written into the test's tmp_path; to keep a copy to look at, name a folder
# of your own: DAXBENCH_SCREENSHOT_DIR=~/shots (it must exist; nothing else is written there).
SCREENSHOT_DIR = os.environ.get("DAXBENCH_SCREENSHOT_DIR")
CASES_PER_HOST_KEY = 3          # fixtures._history_cases
HOST_KEYS = 3                   # alpha, beta, alpha emulated (its own target fingerprint)
CHARTS_PER_CASE = 2             # ops/s and op p99
STEP_DAY = f"2026-11-{fixtures.HISTORY_STEP_RUN + 1:02d}"

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(apt-get install chromium) - the page was not rendered")


@pytest.fixture(scope="module")
def history_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    db = folder / "history.sqlite"
    for run_dir in fixtures.make_history_series(folder / "runs"):
        history.add_run(db, run_dir)
    return db


@pytest.fixture(scope="module")
def page(history_db, tmp_path_factory):
    return dashboard.render(history_db, tmp_path_factory.mktemp("dashboard"))


def series_of(data, case_id, host, emulated=None):
    (found,) = [s for s in data["series"] if s["case_id"] == case_id and s["host"] == host
                and s["emulated"] == emulated]
    return {metric["metric"]: metric["points"] for metric in found["metrics"]}


# ---- the data, computed in Python ---------------------------------------------------------

def test_verdicts_mark_the_step_and_nothing_else(history_db):
    data = dashboard.dashboard_data(history_db)
    assert len(data["series"]) == CASES_PER_HOST_KEY * HOST_KEYS
    regressed = series_of(data, fixtures.REGRESSED, "alpha")
    for metric in ("ops_per_sec", "op_p99_ns"):
        points = regressed[metric]
        verdicts = [p["verdict"] for p in points]
        step = fixtures.HISTORY_STEP_RUN
        assert verdicts == [None] + ["same"] * (step - 1) + ["regression"] + \
            ["same"] * (len(points) - step - 1), metric
        assert points[step]["time"].startswith(STEP_DAY)
        assert points[step]["exceeds_threshold"] and points[step]["significant"]
        assert points[step]["previous_run_id"] == points[step - 1]["run_id"]
    assert regressed["ops_per_sec"][fixtures.HISTORY_STEP_RUN]["ratio"] == pytest.approx(0.8)
    for series in data["series"]:
        if series["case_id"] != fixtures.REGRESSED or series["host"] != "alpha":
            for metric in series["metrics"]:
                assert {p["verdict"] for p in metric["points"]} <= {None, "same"}, series


def test_emulated_series_stands_apart(history_db):
    data = dashboard.dashboard_data(history_db)
    emulated = series_of(data, fixtures.REGRESSED, "alpha", emulated="tcg")
    assert [p["verdict"] for p in emulated["ops_per_sec"]] == [None]


def test_embedded_json_cannot_close_its_script(tmp_path):
    db = tmp_path / "history.sqlite"
    run = fixtures.make_run(tmp_path / "run", [fixtures.case("random-update", "fdatasync")],
                            run_id="20261101T000000Z-x-1", host="evil</script><b>host")
    history.add_run(db, run)
    text = dashboard.render(db, tmp_path / "out").read_text()
    start = text.index('<script id="dashboard-data" type="application/json">')
    body = text[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(body)["series"][0]["host"] == "evil</script><b>host"


def test_render_needs_an_existing_database(tmp_path):
    with pytest.raises(FileNotFoundError):
        dashboard.render(tmp_path / "missing.sqlite", tmp_path / "out")
    assert not (tmp_path / "missing.sqlite").exists()


# ---- the page, in headless Chromium -------------------------------------------------------

class DashboardDom(HTMLParser):
    """The parts of the dumped DOM the tests look at: each case section, its charts and
    markers, and the errors element."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: list[dict] = []
        self.changes: list[dict] = []   # the list of significant changes above the charts
        self.errors = ""
        self.rendered = None
        self._section = None
        self._in_errors = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "body":
            self.rendered = attributes.get("data-rendered")
        elif tag == "pre" and attributes.get("id") == "errors":
            self._in_errors = True
        elif tag == "section" and "case" in classes:
            self._section = {**attributes, "hidden": "hidden" in attributes, "svgs": 0,
                             "markers": []}
            self.sections.append(self._section)
        elif tag == "li" and "change" in classes:
            self.changes.append({**attributes, "hidden": "hidden" in attributes})
        elif self._section is not None and tag == "svg":
            self._section["svgs"] += 1
        elif self._section is not None and "marker" in classes:
            self._section["markers"].append((classes[-1], attributes.get("data-run-id")))

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        elif tag == "pre":
            self._in_errors = False

    def handle_data(self, data):
        if self._in_errors:
            self.errors += data


def run_chromium(page_url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--no-first-run", f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", *extra, page_url]
    return subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S)


def dump_dom(page: Path, profile: Path, query: str = "") -> tuple[DashboardDom, str]:
    result = run_chromium(page.as_uri() + query, profile, "--dump-dom",
                          "--enable-logging=stderr", "--v=0")
    assert result.returncode == 0 and "<body" in result.stdout, result.stderr[-3000:]
    return DashboardDom(result.stdout), result.stderr


def console_problems(stderr: str) -> list[str]:
    """Chromium's log lines for the page's console messages and uncaught exceptions."""
    return [line for line in stderr.splitlines() if "Uncaught" in line or ":CONSOLE" in line]


@needs_chromium
def test_page_draws_every_chart_and_marks_the_regression(page, tmp_path):
    dom, stderr = dump_dom(page, tmp_path / "profile")
    assert dom.rendered == "yes", stderr[-3000:]
    assert dom.errors.strip() == ""
    assert console_problems(stderr) == []
    assert len(dom.sections) == CASES_PER_HOST_KEY * HOST_KEYS
    assert all(s["svgs"] == CHARTS_PER_CASE for s in dom.sections), dom.sections
    assert not any(s["hidden"] for s in dom.sections)
    (regressed,) = [s for s in dom.sections if s["data-case-id"] == fixtures.REGRESSED
                    and s["data-host"] == "alpha" and not s["data-emulated"]]
    step_runs = {run_id for _, run_id in regressed["markers"]}
    assert {kind for kind, _ in regressed["markers"]} == {"regression"}
    assert len(regressed["markers"]) == CHARTS_PER_CASE and len(step_runs) == 1
    assert next(iter(step_runs)).startswith(STEP_DAY.replace("-", ""))
    assert sorted((c["class"], c["data-case-id"], c["data-host"]) for c in dom.changes) == [
        ("change regression", fixtures.REGRESSED, "alpha")] * CHARTS_PER_CASE
    others = [s for s in dom.sections if s is not regressed]
    assert len(others) == len(dom.sections) - 1
    assert all(s["markers"] == [] for s in others)


@needs_chromium
def test_emulated_series_is_labelled(page, tmp_path):
    result = run_chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert result.stdout.count("EMULATED (tcg)") == CASES_PER_HOST_KEY


@needs_chromium
def test_filters_come_from_the_url(page, tmp_path):
    dom, _ = dump_dom(page, tmp_path / "profile", "?mode=fdatasync&workload=random-update")
    shown = [s for s in dom.sections if not s["hidden"]]
    assert {s["data-case-id"] for s in shown} == {fixtures.REGRESSED}
    assert len(shown) == HOST_KEYS
    assert len(dom.sections) - len(shown) == (CASES_PER_HOST_KEY - 1) * HOST_KEYS
    dom, _ = dump_dom(page, tmp_path / "profile", "?host=beta")
    assert {s["data-host"] for s in dom.sections if not s["hidden"]} == {"beta"}
    assert sum(not s["hidden"] for s in dom.sections) == CASES_PER_HOST_KEY
    assert dom.changes and all(c["hidden"] for c in dom.changes)
    assert dom.errors.strip() == ""


@needs_chromium
def test_script_errors_become_visible(page, tmp_path):
    """The errors element and the log check above can fail: a page with broken data shows
    the exception in both."""
    broken = tmp_path / "index.html"
    text = page.read_text()
    start = text.index('type="application/json">') + len('type="application/json">')
    broken.write_text(text[:start] + "{not json" + text[text.index("</script>", start):])
    dom, stderr = dump_dom(broken, tmp_path / "profile")
    assert "SyntaxError" in dom.errors or "JSON" in dom.errors, dom.errors
    assert dom.rendered == "no"
    assert console_problems(stderr), stderr[-3000:]


@needs_chromium
def test_screenshot(page, tmp_path):
    shot = tmp_path / "dashboard.png"
    result = run_chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}",
                          "--window-size=1280,1600", "--hide-scrollbars")
    assert result.returncode == 0, result.stderr[-3000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    if SCREENSHOT_DIR:
        keep = Path(SCREENSHOT_DIR).expanduser()
        assert keep.is_dir(), f"DAXBENCH_SCREENSHOT_DIR={SCREENSHOT_DIR} is not a folder"
        shutil.copyfile(shot, keep / "dashboard.png")
