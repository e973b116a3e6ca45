"""The service as it runs for real, over HTTP against the fake GitHub: never lose, never double, never overrule."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.jobs import Store
from bot.marker import MARKER, NOTE_MARKER
from bot.worker import Worker
from tests.botservice import run_service
from tests.fakegithub import REPO, comment_payload, issue_payload, unlabeled_payload

ROOT = Path(__file__).resolve().parent.parent
COMMENTS = rf"/repos/{REPO}/issues/1/comments"
MMCV_ERROR = "ModuleNotFoundError: No module named 'mmcv._ext'"
LABELS = rf"/repos/{REPO}/issues/1/labels"


@pytest.fixture
def service(settings):
    yield from run_service(settings)


def healthz(service) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(service.url.replace("/webhook", "/healthz")) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def hold_write_lock(db_path: str, seconds: float) -> subprocess.Popen:
    """A second process (an operator's backup, say) that holds the database's write lock."""
    script = textwrap.dedent(f"""
        import sqlite3, sys, time
        db = sqlite3.connect({db_path!r}, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep({seconds})
        db.execute("COMMIT")
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


# -- never post twice ----------------------------------------------------------------------------


def test_a_job_outliving_its_lease_is_not_run_by_a_second_worker(settings, fake):
    # GitHub asks for a 3 s wait, three times the lease: without a heartbeat the second worker
    # would take the job over and both would post.
    short = dataclasses.replace(settings, lease_seconds=1.0, rate_limit_max_wait=5.0)
    fake.fail("POST", COMMENTS, 429, headers={"Retry-After": "3"}, body={"message": "secondary rate limit"})
    for service in run_service(short):
        second = Worker(short, Store(short.db_path), service.worker.rules)
        stop = second.start_thread()
        try:
            assert service.send("issues", issue_payload(), "d-1")[0] == 202
            time.sleep(0.2)
            service.settle(timeout=20)
        finally:
            stop.set()
        assert service.store.job_status("d-1")[0] == "done"
    assert len(fake.issue_comments(REPO, 1)) == 1
    assert len(fake.calls("POST", COMMENTS)) == 2  # the 429, then the one answer


# -- the worker never dies -------------------------------------------------------------------------


def test_the_worker_outlives_a_database_locked_longer_than_its_busy_timeout(settings, fake, caplog):
    caplog.set_level(logging.ERROR)
    for service in run_service(settings, start_worker=False):
        store = Store(settings.db_path, busy_timeout=0.2)
        worker = Worker(settings, store)
        holder = hold_write_lock(settings.db_path, 2.0)
        stop = worker.start_thread()
        try:
            time.sleep(1.0)  # the worker's claims fail meanwhile
            assert worker.thread.is_alive()
            started = time.monotonic()
            assert service.send("issues", issue_payload(), "d-1")[0] == 202  # the web front waits out the lock
            assert time.monotonic() - started < 10
            holder.wait()
            service.settle()
            assert worker.thread.is_alive()
        finally:
            stop.set()
    assert "job store failing" in caplog.text and "locked" in caplog.text
    assert len(fake.issue_comments(REPO, 1)) == 1


def test_a_job_whose_outcome_could_not_be_recorded_runs_again_and_posts_nothing_new(settings, fake, caplog):
    caplog.set_level(logging.ERROR)
    short = dataclasses.replace(settings, lease_seconds=1.0)
    fake.fail("POST", LABELS, perform=True, delay=1.0)  # the label request is slow; meanwhile, the lock
    for service in run_service(short, start_worker=False):
        worker = Worker(short, Store(short.db_path, busy_timeout=0.2))
        stop = worker.start_thread()
        try:
            assert service.send("issues", issue_payload(), "d-1")[0] == 202
            deadline = time.monotonic() + 10
            while not fake.calls("POST", LABELS) and time.monotonic() < deadline:
                time.sleep(0.01)
            hold_write_lock(short.db_path, 2.0).wait()
            service.settle(timeout=20)
            assert worker.thread.is_alive()
        finally:
            stop.set()
        assert service.store.job_status("d-1")[0] == "done"
    assert "job store failing" in caplog.text
    assert len(fake.issue_comments(REPO, 1)) == 1 and len(fake.calls("POST", COMMENTS)) == 1


def test_a_delivery_that_cannot_be_stored_is_not_acknowledged(settings, fake):
    for service in run_service(dataclasses.replace(settings, db_busy_timeout=0.2), start_worker=False):
        holder = hold_write_lock(settings.db_path, 1.5)
        assert service.send("issues", issue_payload(), "d-1")[0] == 503  # GitHub shows it failed: redeliver
        holder.wait()
        assert service.send("issues", issue_payload(), "d-1")[0] == 202
        assert service.store.counts() == {"pending": 1}


# -- health ------------------------------------------------------------------------------------------


def test_healthz_is_503_once_the_in_process_worker_has_stopped(service):
    status, health = healthz(service)
    assert status == 200 and health["queue_depth"] == 0
    service.app.extensions["faqbot"]["stop_worker"].set()
    service.worker.wake()
    service.worker.thread.join(5)
    status, health = healthz(service)
    assert status == 503 and "worker thread is not running" in health["problems"][0]


def test_the_web_front_imports_no_rules_matching_or_rapidfuzz():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bot.app; print(sorted(m for m in sys.modules if m.startswith(('bot', 'rapid'))))"],
        capture_output=True, text=True, check=True).stdout
    assert "rapidfuzz" not in loaded and "bot.rules" not in loaded and "bot.matcher" not in loaded
    assert "bot.worker" not in loaded  # app.py and worker.py do not import each other


# -- never overrule a human --------------------------------------------------------------------------


def test_a_label_a_person_removed_is_never_added_again(service, fake):
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    added = list(fake.labels[f"{REPO}#1"])
    fake.labels[f"{REPO}#1"].remove(added[0])
    service.send("issues", unlabeled_payload(added[0], "maintainer", labels=tuple(added[1:])), "d-unlabel")
    service.send("issue_comment", comment_payload("/faq"), "d-faq")
    service.settle()
    assert len(fake.calls("POST", LABELS)) == 1 and added[0] not in fake.labels[f"{REPO}#1"]


def test_a_label_missing_from_a_later_delivery_is_not_added_again(service, fake):
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    fake.labels[f"{REPO}#1"].clear()  # removed, and the unlabeled delivery never came
    chinese = "我装好以后运行训练脚本就报错了。\n" + issue_payload()["issue"]["body"]
    service.send("issues", issue_payload("edited", body=chinese, labels=()), "d-edit")
    service.settle()
    assert len(fake.calls("PATCH")) == 1 and len(fake.calls("POST", LABELS)) == 1


def test_a_maintainers_chosen_answer_is_not_replaced_by_the_reporters_edit(service, fake):
    service.send("issue_comment", comment_payload("/faq segfault", title="crash", body="It crashes."), "d-faq")
    service.settle()
    [chosen] = fake.issue_comments(REPO, 1)
    service.send("issues", issue_payload("edited"), "d-edit")  # now shows an mmcv._ext error
    service.settle()
    assert fake.calls("PATCH") == [] and fake.comments[chosen["id"]]["body"] == chosen["body"]
    service.send("issue_comment", comment_payload("/faq"), "d-faq-2")  # another maintainer command does
    service.settle()
    assert len(fake.calls("PATCH")) == 1 and "mmcv._ext" in fake.comments[chosen["id"]]["body"]


def test_an_unknown_faq_word_gets_one_note_and_faq_please_is_a_plain_rerun(service, fake):
    for n in range(2):
        service.send("issue_comment", comment_payload("/faq segfalt"), f"d-typo-{n}")
    service.settle()
    [note] = fake.issue_comments(REPO, 1)
    assert NOTE_MARKER in note["body"] and "segfalt" in note["body"]
    service.send("issue_comment", comment_payload("/faq please"), "d-please")
    service.settle()
    answers = [c for c in fake.issue_comments(REPO, 1) if MARKER in c["body"]]
    assert len(answers) == 1 and "mmcv._ext" in answers[0]["body"]


def test_a_deleted_answer_stays_gone_on_an_edit_and_a_maintainers_faq_posts_it_anew(service, fake):
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    [answer] = fake.issue_comments(REPO, 1)
    fake.delete_comment(answer["id"])
    chinese = "我装好以后运行训练脚本就报错了。\n" + issue_payload()["issue"]["body"]
    service.send("issues", issue_payload("edited", body=chinese), "d-edit")
    service.send("issues", issue_payload("edited", body=chinese + "\n"), "d-edit-2")
    service.settle()
    assert fake.issue_comments(REPO, 1) == [] and len(fake.calls("POST", COMMENTS)) == 1
    service.send("issue_comment", comment_payload("/faq", body=chinese), "d-faq")
    service.settle()
    [anew] = fake.issue_comments(REPO, 1)
    assert anew["id"] != answer["id"] and MARKER in anew["body"]


def test_a_comment_create_that_timed_out_is_found_not_posted_again(settings, fake):
    # GitHub created the comment but its answer came after the bot's 1 s timeout.
    fake.fail("POST", COMMENTS, perform=True, delay=1.5)
    for service in run_service(dataclasses.replace(settings, http_timeout=1.0)):
        service.send("issues", issue_payload(), "d-1")
        service.settle()
        assert service.store.job_status("d-1")[0] == "done"
    assert len(fake.issue_comments(REPO, 1)) == 1 and fake.labels[f"{REPO}#1"]


def test_another_bots_copy_of_the_answer_is_never_edited(app_settings, fake):
    for service in run_service(app_settings):
        service.send("issues", issue_payload(title="question", body="How do I train on two GPUs?", installation=7))
        service.settle()
        copied = fake.add_comment(REPO, 1, f"{MARKER}\n(translated) This looks like a known problem.",
                                  login="translator[bot]", user_type="Bot")
        service.send("issues", issue_payload("edited", title="question", body=MMCV_ERROR, installation=7))
        service.settle()
    assert fake.comments[copied]["body"].startswith(f"{MARKER}\n(translated)")
    assert fake.calls("PATCH") == [] and fake.calls("POST", COMMENTS) == []  # not the bot's: an edit stays silent


def test_the_worker_process_yields_the_cpu_to_the_web_front(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "FAQBOT_"))}
    env.update(FAQBOT_DB=str(tmp_path / "db.sqlite3"), FAQBOT_WORKER_NICE="7")
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while "worker" not in worker.stderr.readline() and time.monotonic() < deadline:  # its start line
            assert worker.poll() is None
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
    finally:
        worker.terminate()
        worker.wait(10)
