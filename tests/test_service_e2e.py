"""End to end over HTTP: signed deliveries to the running service, answers checked on the fake GitHub."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.jobs import Store
from bot.marker import MARKER
from bot.__main__ import main as cli
from tests.conftest import SECRET, TOKEN
from tests.botservice import run_service
from tests.fakegithub import REPO, comment_payload, deliver, issue_payload

ROOT = Path(__file__).resolve().parent.parent
COMMENTS = rf"/repos/{REPO}/issues/1/comments"
CJK = re.compile(r"[\u4e00-\u9fff]")
MMCV_ERROR_ONLY = "ModuleNotFoundError: No module named 'mmcv._ext'"


@pytest.fixture
def service(settings):
    yield from run_service(settings)


@pytest.fixture
def app_service(app_settings):
    yield from run_service(app_settings)


def test_opened_issue_is_answered_once_with_labels_in_exactly_two_calls(service, fake):
    assert service.send("issues", issue_payload(), "d-1")[0] == 202
    service.settle()
    comments = fake.issue_comments(REPO, 1)
    assert len(comments) == 1 and MARKER in comments[0]["body"]
    assert fake.labels[f"{REPO}#1"]
    # Besides the repository's config (no file here: the repository's, then its owner's .github), read
    # once per FAQBOT_CONFIG_TTL, the answer costs its two writes.
    config_reads = [("GET", f"/repos/{REPO}/contents/.github/faq-bot.yml"),
                    ("GET", "/repos/Codertocat/.github/contents/.github/faq-bot.yml")]
    assert [(r.method, r.path) for r in fake.calls()] == [
        *config_reads, ("POST", COMMENTS), ("POST", f"/repos/{REPO}/issues/1/labels")]
    service.send("issues", issue_payload(number=2), "d-2")
    service.settle()
    assert [(r.method, r.path) for r in fake.calls()][len(config_reads) + 2:] == [
        ("POST", f"/repos/{REPO}/issues/2/comments"), ("POST", f"/repos/{REPO}/issues/2/labels")]


def test_redelivery_does_not_post_twice(service, fake):
    assert service.send("issues", issue_payload(), "d-1")[0] == 202
    service.settle()
    status, answer = service.send("issues", issue_payload(), "d-1")
    assert status == 200 and answer["status"] == "duplicate"
    service.settle()
    assert len(fake.issue_comments(REPO, 1)) == 1 and len(fake.writes()) == 2


def test_opened_then_edited_keeps_one_comment_and_edits_it(service, fake):
    service.send("issues", issue_payload(), "d-open")
    edited = issue_payload("edited", body="我装好以后运行报错了。\n" + issue_payload()["issue"]["body"],
                           labels=tuple(fake.labels.get(f"{REPO}#1", ())))
    service.send("issues", edited, "d-edit")
    service.settle()
    comments = fake.issue_comments(REPO, 1)
    assert len(comments) == 1 and CJK.search(comments[0]["body"])
    assert len(fake.calls("PATCH")) == 1 and len(fake.calls("POST", COMMENTS)) == 1


def test_edit_of_an_issue_the_bot_never_answered_stays_silent(service, fake):
    service.send("issues", issue_payload("edited"))
    service.settle()
    assert fake.writes() == []


def test_no_match_means_no_write_at_all(service, fake):
    service.send("issues", issue_payload(title="Spelling error in the README", body="It says teh."))
    service.settle()
    assert fake.calls() == []


def test_chinese_issue_is_answered_in_chinese(service, fake):
    body = "安装 mmcv 之后运行训练脚本报错，请问怎么解决？\n```\n" + issue_payload()["issue"]["body"] + "\n```"
    service.send("issues", issue_payload(title="导入 mmcv 出错", body=body))
    service.settle()
    assert CJK.search(fake.issue_comments(REPO, 1)[0]["body"])


def test_maintainer_faq_command_posts_an_answer(service, fake):
    service.send("issue_comment", comment_payload("/faq"))
    service.settle()
    assert len(fake.issue_comments(REPO, 1)) == 1
    assert fake.calls("GET", "/permission") == []  # OWNER: the payload says enough


def test_faq_command_that_finds_nothing_says_so(service, fake):
    service.send("issue_comment", comment_payload("/faq", title="Question", body="How do I train on 2 GPUs?"))
    service.settle()
    [comment] = fake.issue_comments(REPO, 1)
    assert MARKER in comment["body"]
    assert fake.calls("POST", "/labels") == []


def test_faq_command_with_a_rule_id_answers_that_rule(service, fake):
    rule_id = service.worker.rules.ids[0]
    service.send("issue_comment", comment_payload(f"/faq {rule_id}", title="Question", body="It fails."))
    service.settle()
    [comment] = fake.issue_comments(REPO, 1)
    assert MARKER in comment["body"]


def test_faq_command_with_an_unknown_rule_says_it_is_unknown(service, fake):
    service.send("issue_comment", comment_payload("/faq no-such-rule"))
    service.settle()
    [comment] = fake.issue_comments(REPO, 1)
    assert "no-such-rule" in comment["body"]


def test_collaborator_by_permission_may_use_faq(service, fake):
    fake.permissions[(REPO, "triager")] = ("read", "triage")
    service.send("issue_comment", comment_payload("/faq", association="CONTRIBUTOR", login="triager"))
    service.settle()
    assert len(fake.issue_comments(REPO, 1)) == 1


def test_strangers_faq_command_is_ignored(service, fake):
    service.send("issue_comment", comment_payload("/faq", association="NONE", login="stranger"))
    service.settle()
    assert [r.method for r in fake.calls()] == ["GET"]  # the permission check, which says read
    assert fake.writes() == []


@pytest.mark.parametrize("payload", [
    comment_payload(f"/faq\n{MARKER}"),
    comment_payload("/faq", login="faq-bot[bot]", user_type="Bot"),
])
def test_bots_own_comments_are_ignored(service, fake, payload):
    assert service.send("issue_comment", payload)[0] == 200
    service.settle()
    assert fake.calls() == []


def test_comment_on_a_pull_request_is_ignored(service, fake):
    payload = comment_payload("/faq")
    payload["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/1"}
    assert service.send("issue_comment", payload)[0] == 200
    assert service.store.counts() == {}


# -- bad input ----------------------------------------------------------------------------------


def test_missing_or_wrong_signature_is_401_and_nothing_happens(service, fake):
    assert service.send("issues", issue_payload(), secret=None)[0] == 401
    assert service.send("issues", issue_payload(), secret="wrong")[0] == 401
    assert service.store.counts() == {}


def test_rotated_secrets_are_all_accepted(settings, fake):
    rotated = dataclasses.replace(settings, webhook_secrets=("new-secret", SECRET))
    for service in run_service(rotated):
        assert service.send("issues", issue_payload(), secret="new-secret")[0] == 202
        assert service.send("issues", issue_payload(), secret=SECRET)[0] == 202


def test_26_mb_body_is_refused_without_being_read(service):
    host, port = "127.0.0.1", service.server.server_port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall((f"POST /webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                      f"X-GitHub-Event: issues\r\nX-GitHub-Delivery: big\r\n"
                      f"Content-Length: {26 * 1024 * 1024}\r\n\r\n").encode() + b"{" * 1024)
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")


@pytest.mark.parametrize(("event", "body", "status"), [
    ("issues", b"{not json", 400),
    ("issues", b"\xff\xfe", 400),
    ("issues", b"[]", 422),
    ("issues", b'{"action": "opened", "repository": {"full_name": "o/r"}}', 422),
    ("issue_comment", b'{"action": "created", "issue": {"number": 1, "title": "t"}}', 422),
    ("ping", b'{"zen": "Keep it logically awesome."}', 200),
    ("issues", b'{"action": "reopened"}', 200),
    ("star", b'{"action": "created"}', 200),
])
def test_bad_or_unknown_input_gets_a_4xx_or_is_ignored_never_a_5xx(service, event, body, status):
    assert service.send(event, body)[0] == status
    assert service.store.counts() == {}


def test_healthz(service, tmp_path):
    import urllib.request

    with urllib.request.urlopen(service.url.replace("/webhook", "/healthz")) as answer:
        assert answer.status == 200
    os.remove(service.settings.db_path)  # the file gone under the open connection still answers;
    service.store._local.db = None       # a fresh connection to a directory that vanished does not
    service.store._dialect.path = str(tmp_path / "gone" / "db.sqlite3")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(service.url.replace("/webhook", "/healthz"))
    assert caught.value.code == 503


# -- GitHub failing ------------------------------------------------------------------------------


def test_server_errors_are_retried_then_the_answer_is_posted(service, fake):
    fake.fail("POST", COMMENTS, 502, times=2)
    service.send("issues", issue_payload())
    service.settle()
    assert len(fake.issue_comments(REPO, 1)) == 1 and len(fake.calls("POST", COMMENTS)) == 3


def test_crash_after_posting_before_labelling_is_recovered_without_a_second_comment(service, fake):
    fake.fail("POST", "/labels", 500, times=99)
    service.send("issues", issue_payload(), "d-1")
    assert service.settle()["failed"] == 1
    fake.faults.clear()
    service.store._connection().execute("DELETE FROM answers")  # as if the comment id was never stored
    assert service.store.retry() == 1
    service.settle()
    assert len(fake.issue_comments(REPO, 1)) == 1 and fake.labels[f"{REPO}#1"]
    assert len(fake.calls("GET", COMMENTS)) == 1  # the recovery path looked for the marker, once


def test_retry_after_and_rate_limit_reset_are_honoured(service, fake):
    fake.fail("POST", COMMENTS, 403, headers={"Retry-After": "1"},
              body={"message": "You have exceeded a secondary rate limit and have been temporarily blocked from "
                               "content creation. Please retry your request again later."})
    fake.fail("POST", "/labels", 403, headers={"X-RateLimit-Remaining": "0",
                                              "X-RateLimit-Reset": str(int(time.time()) + 1)},
              body={"message": "API rate limit exceeded for installation ID 1."})
    started = time.monotonic()
    service.send("issues", issue_payload())
    service.settle()
    assert time.monotonic() - started >= 1.0
    assert len(fake.issue_comments(REPO, 1)) == 1 and fake.labels[f"{REPO}#1"]


def test_long_rate_limit_reschedules_the_job(service, fake):
    fake.fail("POST", COMMENTS, 429, headers={"Retry-After": "3"}, body={"message": "secondary rate limit"})
    service.send("issues", issue_payload(), "d-1")
    time.sleep(0.3)
    assert service.store.job_status("d-1")[0] == "pending"  # waiting in the table, not in the worker
    service.settle(timeout=10)
    assert len(fake.issue_comments(REPO, 1)) == 1


def test_not_found_twice_then_ok(service, fake):
    fake.fail("POST", COMMENTS, 404, body={"message": "Not Found"}, times=2)
    service.send("issues", issue_payload())
    service.settle()
    assert len(fake.issue_comments(REPO, 1)) == 1


def test_not_found_forever_fails_the_job_then_jobs_retry_reruns_it(service, fake, capsys, monkeypatch):
    monkeypatch.setenv("FAQBOT_DB", service.settings.db_path)
    fake.fail("POST", COMMENTS, 404, body={"message": "Not Found"}, times=3)
    service.send("issues", issue_payload(), "d-1")
    assert service.settle()["failed"] == 1
    assert cli(["jobs", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Codertocat/Hello-World#1" in listed and "404" in listed
    job_id = int(listed.split("\t")[0])
    assert cli(["jobs", "retry", str(job_id)]) == 0
    service.settle()
    assert service.store.job_status("d-1")[0] == "done"
    assert len(fake.issue_comments(REPO, 1)) == 1


def test_gone_is_not_retried(service, fake):
    fake.fail("POST", COMMENTS, 410, body={"message": "This issue was deleted"})
    service.send("issues", issue_payload(), "d-1")
    service.settle()
    assert service.store.job_status("d-1")[0] == "failed"
    assert len(fake.calls("POST")) == 1 and fake.calls("PATCH") == []


def test_over_long_comment_is_shortened_and_posted(service, fake):
    fake.max_comment_chars = 300
    service.send("issues", issue_payload())
    service.settle()
    [comment] = fake.issue_comments(REPO, 1)
    assert len(comment["body"]) <= 300 and MARKER in comment["body"]
    assert len(fake.calls("POST", COMMENTS)) == 2


def test_github_app_answers_with_its_installation_token(app_service, fake):
    app_service.send("issues", issue_payload(installation=7))
    app_service.settle()
    token = next(iter(fake.installation_tokens))
    assert [r.headers["authorization"] for r in fake.writes()] == [f"token {token}"] * 2
    fake.installation_tokens.clear()  # expired or revoked: a 401, then a fresh token
    app_service.send("issues", issue_payload(number=2, installation=7))
    app_service.settle()
    assert len(fake.issue_comments(REPO, 2)) == 1 and len(fake.calls("POST", "/access_tokens")) == 2


def test_secrets_never_reach_the_logs(service, fake, caplog):
    caplog.set_level(logging.DEBUG)
    service.send("issues", issue_payload())
    service.send("issues", issue_payload(), secret="wrong")
    service.settle()
    logging.getLogger("test").info("settings: %r", service.settings)
    assert fake.issue_comments(REPO, 1)
    assert caplog.text and TOKEN not in caplog.text and SECRET not in caplog.text


def test_app_credentials_never_reach_the_logs(app_service, fake, app_key, caplog):
    caplog.set_level(logging.DEBUG)
    app_service.send("issues", issue_payload(installation=7))
    app_service.settle()
    token = next(iter(fake.installation_tokens))
    mint = fake.calls("POST", "/access_tokens")[0].headers["authorization"].split()[1]
    key_line = app_key[0].splitlines()[1]
    assert fake.issue_comments(REPO, 1)
    assert token not in caplog.text and mint not in caplog.text and key_line not in caplog.text


def test_dry_run_stores_and_logs_the_answer(settings, fake, caplog):
    caplog.set_level(logging.INFO)
    for service in run_service(dataclasses.replace(settings, github_token=None)):
        service.send("issues", issue_payload())
        service.settle()
        [(issue, action, body, _)] = [r for r in service.store.dry_run_records() if r[1] == "comment"]
        assert issue == f"{REPO}#1" and MARKER in body and MARKER in caplog.text
    assert fake.calls() == []


# -- a crash between acknowledging and answering ---------------------------------------------------


def _start_serve(settings, port: int) -> subprocess.Popen:
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_API_URL": settings.api_url,
           "FAQBOT_DB": settings.db_path, "FAQBOT_WRITE_INTERVAL": "0", "FAQBOT_LEASE_SECONDS": "2",
           "FAQBOT_RETRY_BASE_DELAY": "0.01", "FAQBOT_POLL_INTERVAL": "0.05", "FAQBOT_HTTP_TIMEOUT": "30"}
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the service did not start listening")


def test_sigkill_after_acknowledging_loses_nothing_and_answers_once(settings, fake):
    # GitHub creates the comment but the answer never reaches the bot: it is killed while waiting.
    fake.fail("POST", COMMENTS, perform=True, delay=60)
    port = _free_port()
    first = _start_serve(settings, port)
    try:
        _wait_listening(first, port)
        status, _ = deliver(f"http://127.0.0.1:{port}/webhook", "issues", issue_payload(), SECRET, "d-kill")
        assert status == 202
        deadline = time.monotonic() + 10
        while not fake.calls("POST", COMMENTS) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.calls("POST", COMMENTS), "the worker never started answering"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = _start_serve(settings, port)
    try:
        _wait_listening(second, port)
        store = Store(settings.db_path)
        deadline = time.monotonic() + 20
        while store.job_status("d-kill")[0] != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.job_status("d-kill")[0] == "done"
    finally:
        second.terminate()
        second.wait()
    assert len(fake.issue_comments(REPO, 1)) == 1
    assert len(fake.calls("POST", COMMENTS)) == 1 and len(fake.calls("GET", COMMENTS)) == 1
    assert fake.labels[f"{REPO}#1"]


COLLECT_ENV_WITHOUT_OPS = """
sys.platform: linux
Python: 3.10.4 (main, Mar 31 2022, 08:41:55) [GCC 7.5.0]
CUDA available: True
GPU 0: NVIDIA GeForce RTX 3090
PyTorch: 2.1.0+cu121
TorchVision: 0.16.0+cu121
MMEngine: 0.10.3
MMCV: 2.1.0
MMCV Compiler: n/a
MMCV CUDA Compiler: n/a
MMDetection: 3.3.0+unknown
"""


def test_environment_added_by_an_edit_turns_the_request_into_a_diagnosis(service, fake):
    opened = issue_payload(body="ModuleNotFoundError: No module named 'mmcv._ext'")
    service.send("issues", opened, "d-open")
    service.settle()
    (first,) = fake.issue_comments(REPO, 1)
    assert "collect_env" in first["body"]  # the bot asks for the facts (the generic command: not an OpenMMLab repository)

    edited = issue_payload("edited", body=opened["issue"]["body"] + "\n" + COLLECT_ENV_WITHOUT_OPS,
                           labels=tuple(fake.labels.get(f"{REPO}#1", ())))
    service.send("issues", edited, "d-edit")
    service.settle()
    (answer,) = fake.issue_comments(REPO, 1)  # still one comment, edited in place
    assert "MMCV 2.1.0 (`MMCV Compiler: n/a`)" in answer["body"]
    assert "Please add your environment" not in answer["body"]
    assert len(fake.calls("PATCH")) == 1


def test_the_project_an_issue_is_filed_on_counts_as_context(service, fake):
    crash = "python tools/train.py configs/my_config.py\nSegmentation fault (core dumped)"
    service.send("issues", issue_payload(title="crash", body=crash))
    service.settle()
    assert fake.writes() == []  # Hello-World is no OpenMMLab project: a bare segfault is not ours

    mmdet_issue = issue_payload(title="crash", body=crash, number=2)
    mmdet_issue["repository"]["full_name"] = "open-mmlab/mmdetection"
    mmdet_issue["repository"]["name"] = "mmdetection"
    service.send("issues", mmdet_issue)
    service.settle()
    assert [(r.method, r.path) for r in fake.writes()][0] == ("POST", "/repos/open-mmlab/mmdetection/issues/2/comments")


def test_a_strangers_comment_holding_the_marker_is_never_taken_for_the_answer(service, fake):
    service.send("issues", issue_payload(title="question", body="How do I train on two GPUs?"), "d-open")
    service.settle()
    planted = fake.add_comment(REPO, 1, f"{MARKER}\nI am not the bot.", login="mallory")
    edited = issue_payload("edited", title="question", body=MMCV_ERROR_ONLY)
    service.send("issues", edited, "d-edit")
    service.settle()
    assert fake.comments[planted]["body"] == f"{MARKER}\nI am not the bot."  # left alone
    assert fake.calls("PATCH") == [] and fake.calls("POST", COMMENTS) == []
