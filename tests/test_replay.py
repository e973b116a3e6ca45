"""`python -m bot replay`: a repository's past issues read through the fake GitHub, triaged, nothing posted;
paginated, rate-limit aware, resumable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.__main__ import main as cli
from bot.github import IssuePage, ListedIssue, RateLimited
from bot.jobs import Store
from bot.replay import Plan, parse_since, replay
from bot.repo_config import RepoConfig
from bot.rules import load_rules
from bot.settings import DEFAULT_RULES
from tests.conftest import TOKEN
from tests.fakegithub import MMCV_TRACEBACK

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules(DEFAULT_RULES)
REPO = "open-mmlab/mmdetection"
ISSUES = rf"/repos/{REPO}/issues$"
SEGFAULT = "Training crashes:\nSegmentation fault (core dumped)"
NMS = "RuntimeError: nms is not compiled with GPU support"


def seed(fake, count: int = 360) -> None:
    """``count`` entries, one in six a pull request; every fifth issue shows an FAQ error."""
    for number in range(1, count + 1):
        day, minute = divmod(number, 60 * 24)
        created = f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"
        if number % 6 == 0:
            fake.add_issue(REPO, number, f"Fix typo {number}", "A pull request.", pull_request=True, created_at=created)
            continue
        body = (MMCV_TRACEBACK, SEGFAULT, NMS)[number % 3] if number % 5 == 0 else "How do I change the learning rate?"
        fake.add_issue(REPO, number, f"Question {number}", body, created_at=created,
                       labels=("wontfix",) if number == 35 else ())


@pytest.fixture
def env(monkeypatch, fake, tmp_path):
    for name, value in {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.url, "FAQBOT_DB": str(tmp_path / "db.sqlite3"),
                        "FAQBOT_RETRY_BASE_DELAY": "0.01", "FAQBOT_RATE_LIMIT_MAX_WAIT": "5",
                        "FAQBOT_HTTP_TIMEOUT": "5"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    return tmp_path


def page_requests(fake) -> list[int]:
    return [int(r.query["page"][0]) for r in fake.calls("GET", ISSUES)]


def test_hundreds_of_issues_are_replayed_a_page_a_request_and_reported_per_rule(fake, env, capsys):
    seed(fake)
    started = time.monotonic()
    assert cli(["replay", REPO, "--report", str(env / "out" / "replay")]) == 0
    assert time.monotonic() - started < 20
    assert page_requests(fake) == [1, 2, 3, 4]  # 360 entries, 100 a page: nothing asked per issue
    assert fake.writes() == [] and [r.path for r in fake.calls() if "/issues" not in r.path] == [
        f"/repos/{REPO}/contents/.github/faq-bot.yml", "/repos/open-mmlab/.github/contents/.github/faq-bot.yml"]
    out = capsys.readouterr().out
    assert "page 4: 60 listed; 300 issues triaged so far" in out
    markdown = (env / "out" / "replay.md").read_text()
    assert "- Issues triaged: 300" in markdown and "- Pull requests passed over: 60" in markdown
    assert "- Would be answered: 60 (20%)" in markdown  # every fifth issue; none is a pull request here
    assert f"[{REPO}#5](https://github.com/{REPO}/issues/5)" in markdown
    assert "| `segfault` | 24 |" in markdown and "| `backward-twice` | 0 | — |" in markdown
    page = (env / "out" / "replay.html").read_text()
    assert "<svg" in page and f'<a href="https://github.com/{REPO}/issues/5">{REPO}#5</a>' in page
    assert "<script" not in page and "http" not in page.split("<body>")[0].replace("http://www.w3.org", "")


def test_the_repositorys_config_or_a_given_file_shapes_the_replay(fake, env):
    seed(fake, 60)
    fake.put_file(REPO, ".github/faq-bot.yml", "version: 1\nmode: off\nrules: {disable: [segfault]}\n"
                                               "skip: {labels: [wontfix]}\n")
    assert cli(["replay", REPO, "--report", str(env / "r")]) == 0
    markdown = (env / "r.md").read_text()
    assert "| `segfault` |" not in markdown and "- Skipped by the config: 1" in markdown
    assert f"{REPO}:.github/faq-bot.yml" in markdown
    (env / "try.yml").write_text("version: 1\nlabels: {installation: null}\n")
    assert cli(["replay", REPO, "--restart", "--config", str(env / "try.yml"), "--report", str(env / "t")]) == 0
    markdown = (env / "t.md").read_text()
    assert "| `segfault` | 4 |" in markdown and "Labels: `faq`\n" in markdown


def test_a_server_error_is_waited_out(fake, env):
    seed(fake, 250)
    fake.fail("GET", ISSUES, 502, times=2)
    assert cli(["replay", REPO, "--report", str(env / "r")]) == 0
    assert page_requests(fake) == [1, 1, 1, 2, 3]


def test_a_long_rate_limit_stops_the_run_and_the_same_command_resumes_it(fake, env, capsys):
    seed(fake)
    reset = int(time.time()) + 3600
    command = ["replay", REPO, "--report", str(env / "r")]
    original = fake.handle

    def third_page_limited(method, path, query, headers, body):  # GitHub's primary limit, once, on page 3
        if query.get("page") == ["3"] and not getattr(fake, "_limited", False):
            fake._limited = True
            return 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}, {
                "message": "API rate limit exceeded for installation ID 1234567."}
        return original(method, path, query, headers, body)

    fake.handle = third_page_limited
    assert cli(command) == 3
    out = capsys.readouterr().out
    assert "stopped: " in out and "run the same command again after that to resume" in out
    assert "- Run: stopped: rate limited until" in (env / "r.md").read_text()
    assert "- Issues triaged: 167" in (env / "r.md").read_text()  # pages 1 and 2 kept
    assert cli(command) == 0
    assert "resuming the replay" in capsys.readouterr().out
    assert page_requests(fake) == [1, 2, 3, 3, 4]  # resumed at the page it stopped on, nothing earlier again
    assert "- Issues triaged: 300" in (env / "r.md").read_text()
    assert len(Store(env / "db.sqlite3").replay_issues(f"{REPO}|since=all")) == 360
    assert cli(command) == 0 and "already went through every issue" in capsys.readouterr().out
    assert page_requests(fake) == [1, 2, 3, 3, 4]


def test_a_page_that_uses_up_the_rate_limit_stops_before_the_next_request(fake, env, capsys):
    seed(fake, 250)
    fake.rate_limit = (0, time.time() + 3600)
    assert cli(["replay", REPO, "--report", str(env / "r")]) == 3
    assert page_requests(fake) == [1] and "GitHub's rate limit is used up for" in capsys.readouterr().out


def test_since_and_limit_and_a_higher_limit_goes_on(fake, env):
    seed(fake)
    since = "2024-01-01T03:00:00Z"  # issue 180 onwards
    assert cli(["replay", REPO, "--since", since, "--limit", "40", "--report", str(env / "r")]) == 0
    store = Store(env / "db.sqlite3")
    run = f"{REPO}|since={parse_since(since).isoformat()}"
    triaged = [issue for issue in store.replay_issues(run) if issue.outcome in ("answer", "silent", "skipped")]
    assert len(triaged) == 40 and min(issue.number for issue in triaged) >= 180
    assert fake.calls("GET", ISSUES)[0].query["since"] == ["2024-01-01T03:00:00Z"]
    assert cli(["replay", REPO, "--since", since, "--limit", "100", "--report", str(env / "r")]) == 0
    triaged = [issue for issue in store.replay_issues(run) if issue.outcome in ("answer", "silent", "skipped")]
    assert len(triaged) == 100


@pytest.mark.parametrize(("args", "message"), [
    (["replay", "mmdetection"], "expected OWNER/REPO"),
    (["replay", REPO, "--since", "last year"], "--since 'last year': expected a date"),
    (["replay", REPO, "--limit", "0"], "--limit: expected a number of issues of at least 1"),
])
def test_bad_arguments_are_named(fake, env, capsys, args, message):
    assert cli(args) == 2 and message in capsys.readouterr().err


def test_a_broken_config_file_stops_before_anything_is_read(fake, env, capsys):
    (env / "bad.yml").write_text("version: 1\nmode: maybe\n")
    assert cli(["replay", REPO, "--config", str(env / "bad.yml")]) == 2
    assert "bad.yml:2: key 'mode'" in capsys.readouterr().out and fake.calls() == []


def test_ctrl_c_keeps_what_was_done_and_the_same_command_resumes(fake, env):
    seed(fake)
    original = fake.handle

    def hang_on_page_3(method, path, query, headers, body):
        if query.get("page") == ["3"] and not getattr(fake, "_hung", False):
            fake._hung = True
            time.sleep(10)
        return original(method, path, query, headers, body)

    fake.handle = hang_on_page_3
    command = [sys.executable, "-m", "bot", "replay", REPO, "--report", str(env / "r")]
    running = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while 3 not in page_requests(fake) and time.monotonic() < deadline:
        time.sleep(0.02)
    running.send_signal(signal.SIGINT)
    out, _ = running.communicate(timeout=20)
    assert running.returncode == 130 and "interrupted. Everything done so far is kept" in out
    done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "resuming the replay of" in done.stdout
    assert page_requests(fake).count(1) == 1 and page_requests(fake).count(2) == 1
    assert "- Issues triaged: 300" in (env / "r.md").read_text()


# -- the loop alone, on an in-memory lister ---------------------------------------------------------


class Lister:
    def __init__(self, pages: list[IssuePage]):
        self.pages, self.asked = pages, []

    def list_issues(self, repo, page, since=None, per_page=100):
        self.asked.append(page)
        return self.pages[page - 1]


def issue(number: int) -> ListedIssue:
    return ListedIssue(number, f"t{number}", SEGFAULT, f"https://github.com/{REPO}/issues/{number}",
                       "2024-01-01T00:00:00Z")


def test_a_short_rate_limit_is_waited_out(tmp_path):
    waited = []
    lister = Lister([IssuePage((issue(1),), True, rate_remaining=0, rate_reset=1030.0),
                     IssuePage((issue(2),), False)])
    store = Store(tmp_path / "db.sqlite3")
    assert replay(Plan(REPO), lister, RepoConfig(), RULES, store, say=lambda _: None, max_wait=60,
                  sleep=waited.append, clock=lambda: 1000.0)
    assert waited == [31.0] and lister.asked == [1, 2]
    with pytest.raises(RateLimited):
        replay(Plan(REPO, restart=True), lister, RepoConfig(), RULES, store, say=lambda _: None, max_wait=10,
               sleep=waited.append, clock=lambda: 1000.0)


def test_an_app_reads_through_its_installation_on_the_repository(fake, app_settings):
    from bot.github import GitHubError, reader_for

    seed(fake, 10)
    fake.installations[REPO] = 7
    assert len(reader_for(app_settings, REPO).list_issues(REPO, 1).issues) == 10
    assert len(fake.calls("GET", rf"/repos/{REPO}/installation")) == 1
    with pytest.raises(GitHubError, match="the App is not installed on o/other"):
        reader_for(app_settings, "o/other")
