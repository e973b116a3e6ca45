"""The maintainers' commands: config check, shadow report, stats, deliver; against the running service and
the fake GitHub where they need one."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.__main__ import main as cli
from tests.botservice import run_service
from tests.conftest import SECRET
from tests.fakegithub import REPO, comment_payload, issue_payload

ROOT = Path(__file__).resolve().parent.parent
SEGFAULT = "Training mmdet, then:\nSegmentation fault (core dumped)"


@pytest.fixture
def service(settings, monkeypatch):
    monkeypatch.setenv("FAQBOT_DB", settings.db_path)
    monkeypatch.setenv("GITHUB_API_URL", settings.api_url)
    yield from run_service(dataclasses.replace(settings, config_ttl=0))


def test_config_check_accepts_the_example_and_names_what_is_wrong(tmp_path, capsys):
    assert cli(["config", "check", str(ROOT / "examples" / "faq-bot.yml")]) == 0
    assert "ok: mode shadow, 14 of 15 rules enabled, min_score 90" in capsys.readouterr().out
    broken = tmp_path / "faq-bot.yml"
    broken.write_text("version: 1\nrules: {disable: [segfalt]}\n")
    assert cli(["config", "check", str(broken)]) == 1
    assert f"{broken}:2: key 'rules.disable[0]': unknown rule 'segfalt'" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    (b"version: 1\n# " + b"x" * (1024 * 1024), "bytes; a config may be at most 65,536 bytes"),
    (b"version: 1\nmode: \xff\n", "not UTF-8 text"),
    (b"version: 1\nmode: [\n", "not valid YAML"),
])
def test_config_check_refuses_big_binary_or_malformed_files(tmp_path, capsys, content, message):
    path = tmp_path / "faq-bot.yml"
    path.write_bytes(content)
    assert cli(["config", "check", str(path)]) == 1 and message in capsys.readouterr().err


def test_config_check_of_a_missing_file_says_so(tmp_path, capsys):
    assert cli(["config", "check", str(tmp_path / "none.yml")]) == 2 and "none.yml" in capsys.readouterr().err


def test_shadow_report_names_and_links_each_issue_per_rule(service, fake, tmp_path, capsys):
    fake.put_file(REPO, ".github/faq-bot.yml", "version: 1\nmode: shadow\n")
    service.send("issues", issue_payload(), "d-1")
    service.send("issues", issue_payload(number=2, title="crash <b>", body=SEGFAULT), "d-2")
    chinese = "训练时出现段错误，请问怎么办？\n" + SEGFAULT
    service.send("issues", issue_payload("edited", number=2, title="crash <b>", body=chinese), "d-3")
    service.settle()
    assert fake.writes() == []
    assert cli(["shadow", "report", "--repo", REPO, "--output", str(tmp_path / "shadow")]) == 0
    assert "3 would-be comment(s) on 2 issue(s)" in capsys.readouterr().out
    markdown = (tmp_path / "shadow.md").read_text()
    # Linked on the web host that goes with GITHUB_API_URL (github.com for api.github.com; here the fake's).
    assert f"[{REPO}#2]({fake.url}/{REPO}/issues/2): crash \\<b\\>" in markdown
    assert "| `segfault` | 1 |" in markdown and "| `mmcv-ops-missing` | 1 |" in markdown
    assert "这看起来是" in markdown  # the latest text the issue would have received: the edit's, in Chinese
    page = (tmp_path / "shadow.html").read_text()
    assert "<svg" in page and "crash &lt;b&gt;" in page and f'href="{fake.url}/{REPO}/issues/1"' in page


def test_stats_show_answers_and_withdrawals_and_unmute_a_rule(service, fake, capsys):
    service.send("issues", issue_payload(title="crash", body=SEGFAULT), "d-1")
    service.settle()
    service.send("issue_comment", comment_payload("/faq off", labels=tuple(fake.labels[f"{REPO}#1"])), "d-off")
    service.settle()
    service.store.set_muted(REPO, "segfault", True)
    assert cli(["stats"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "segfault" in line)
    assert row.split() == [REPO, "segfault", "1", "1", "0", "100%", "yes"]
    assert cli(["stats", "--repo", REPO, "--unmute", "segfault"]) == 0
    assert "segfault may answer again" in capsys.readouterr().out
    assert service.store.muted_rules(REPO) == frozenset()
    assert cli(["stats", "--unmute", "segfault"]) == 2


def test_deliver_signs_and_sends_a_payload_to_the_running_bot(service, fake, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    example = ROOT / "examples" / "delivery-issues-opened.json"
    assert cli(["deliver", str(example), "--event", "issues", "--url", service.url, "--delivery", "try-1"]) == 0
    status, answer = capsys.readouterr().out.split(" ", 1)
    assert status == "202" and json.loads(answer) == {"status": "queued", "delivery": "try-1"}
    service.settle()
    assert service.store.job_status("try-1")[0] == "done"
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "another secret")
    assert cli(["deliver", str(example), "--event", "issues", "--url", service.url]) == 1
    assert capsys.readouterr().out.startswith("401 ")


def test_deliver_to_no_bot_says_how_to_start_one(tmp_path, capsys):
    payload = tmp_path / "p.json"
    payload.write_text("{}")
    assert cli(["deliver", str(payload), "--event", "ping", "--url", "http://127.0.0.1:1/webhook"]) == 2
    assert "python -m bot serve" in capsys.readouterr().err


@pytest.mark.parametrize(("api", "web"), [("https://api.github.com", "https://github.com"),
                                          ("https://ghe.example.com/api/v3", "https://ghe.example.com")])
def test_issues_are_linked_on_the_web_host_of_the_api(api, web):
    from bot.report import issue_url, web_root

    assert issue_url(web_root(api), "o/r", 5) == f"{web}/o/r/issues/5"
