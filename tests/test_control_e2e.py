"""Maintainers in control, end to end: signed deliveries to the running service, the repository's
`.github/faq-bot.yml` and the bot's answers on the fake GitHub."""

from __future__ import annotations

import dataclasses
import logging
import re
import urllib.request

import pytest

from bot.marker import MARKER, NOTE_MARKER
from tests.botservice import run_service
from tests.fakegithub import REPO, comment_payload, issue_payload, reporter_comment

CONFIG = ".github/faq-bot.yml"
COMMENTS = rf"/repos/{REPO}/issues/1/comments"
SEGFAULT = "Training mmdet, then:\nSegmentation fault (core dumped)"


@pytest.fixture
def service(settings):
    # Config read afresh for every job: these tests change it between deliveries.
    yield from run_service(dataclasses.replace(settings, config_ttl=0))


def edited_comment(body: str, before: str, **kwargs) -> dict:
    payload = comment_payload(body, **kwargs)
    payload["action"] = "edited"
    payload["changes"] = {"body": {"from": before}}
    return payload


def test_shadow_mode_posts_nothing_and_keeps_what_it_would_have_posted(service, fake):
    fake.put_file(REPO, CONFIG, "version: 1\nmode: shadow\nlabels: {installation: null}\n")
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    assert fake.writes() == [] and service.store.job_status("d-open")[2] is None
    [record] = service.store.shadow_records(REPO)
    assert record.issue_key == f"{REPO}#1" and record.rules == ("mmcv-ops-missing",)
    assert record.labels == ("faq", "needs-environment") or record.labels == ("faq",)
    assert record.body.startswith(MARKER)


def test_an_organisation_config_applies_where_a_repository_has_none(service, fake):
    fake.put_file("Codertocat/.github", CONFIG, "version: 1\nmode: off\n")
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    assert fake.writes() == []
    assert service.store.job_status("d-open")[1].startswith("off:")


def test_renamed_and_dropped_labels_and_a_disabled_rule(service, fake):
    fake.put_file(REPO, CONFIG, "version: 1\nlabels: {faq: answered-by-faq-bot, installation: null}\n"
                                "rules: {disable: [segfault]}\n")
    service.send("issues", issue_payload(), "d-open")
    service.send("issues", issue_payload(number=2, title="crash", body=SEGFAULT), "d-open-2")
    service.settle()
    assert fake.labels[f"{REPO}#1"] == ["answered-by-faq-bot", "needs-environment"]
    assert fake.issue_comments(REPO, 2) == [] and f"{REPO}#2" not in fake.labels


def test_faq_off_withdraws_the_answer_and_the_bots_labels_and_an_edit_does_not_bring_it_back(service, fake):
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    fake.labels[f"{REPO}#1"].append("bug")  # a maintainer's label
    labels = tuple(fake.labels[f"{REPO}#1"])
    service.send("issue_comment", comment_payload("/faq off", labels=labels), "d-off")
    service.settle()
    assert fake.issue_comments(REPO, 1) == [] and fake.labels[f"{REPO}#1"] == ["bug"]
    assert len(fake.calls("DELETE", r"/labels/")) == 3  # faq, installation, needs-environment
    service.send("issues", issue_payload("edited", body=issue_payload()["issue"]["body"] + "\nstill", labels=("bug",)),
                 "d-edit")
    service.send("issue_comment", reporter_comment(SEGFAULT), "d-reporter")
    service.settle()
    assert fake.issue_comments(REPO, 1) == [] and fake.labels[f"{REPO}#1"] == ["bug"]
    [stats] = service.store.rule_stats(REPO)
    assert (stats.rule_id, stats.counts.answered, stats.counts.withdrawn) == ("mmcv-ops-missing", 1, 1)


def test_faq_help_answers_from_the_live_config(service, fake):
    fake.put_file(REPO, CONFIG, "version: 1\nrules: {disable: [segfault]}\n")
    service.send("issue_comment", comment_payload("/faq help"), "d-help")
    service.settle()
    [reply] = fake.issue_comments(REPO, 1)
    assert reply["body"].startswith(NOTE_MARKER) and "Switched off by the config: `segfault`." in reply["body"]
    fake.put_file(REPO, CONFIG, "version: 1\nrules: {enable: [segfault]}\n")
    service.send("issue_comment", comment_payload("/faq help"), "d-help-2")
    service.settle()
    second = fake.issue_comments(REPO, 1)[-1]["body"]
    assert "Rules that answer here: `segfault`." in second


def test_a_broken_config_keeps_the_last_good_one_and_the_faq_reply_says_so(service, fake):
    fake.put_file(REPO, CONFIG, "version: 1\nmode: shadow\n")
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    fake.put_file(REPO, CONFIG, "version: 1\nmode: shadow\nrules: {disable: segfault}\n")  # not a list
    service.send("issues", issue_payload(number=2, title="crash", body=SEGFAULT), "d-open-2")
    service.send("issue_comment", comment_payload("/faq help"), "d-help")
    service.settle()
    assert fake.issue_comments(REPO, 2) == []  # still shadow: the broken file did not switch the bot on
    [help_reply] = fake.issue_comments(REPO, 1)
    assert "Note for maintainers" in help_reply["body"]
    assert f"{REPO}:{CONFIG}:3: key 'rules.disable': expected a list of rule ids" in help_reply["body"]


@pytest.mark.parametrize(("text", "problem"), [
    ("version: 1\nmode: [\n", "not valid YAML"),
    ("version: 1\n# " + "x" * (100 * 1024) + "\n", "the file is 102,414 bytes; a config may be at most 65,536"),
    ("version: 1\n# " + "x" * (1024 * 1024) + "\n", "1048590 bytes: more than the contents API sends (1 MB)"),
    ("version: 1\nmin_score: high\n", "key 'min_score': expected a number from 80 to 100, got 'high'"),
])
def test_malformed_big_or_mistyped_configs_are_named_and_the_defaults_kept(service, fake, text, problem):
    fake.put_file(REPO, CONFIG, text)
    service.send("issue_comment", comment_payload("/faq"), "d-faq")
    service.settle()
    [answer] = fake.issue_comments(REPO, 1)
    assert answer["body"].startswith(MARKER) and problem in answer["body"]


def test_an_edit_that_adds_a_command_runs_it_and_other_edits_do_not(service, fake):
    service.send("issue_comment", edited_comment("Thanks, fixed.", "/faq segfault"), "d-removed")
    service.send("issue_comment", edited_comment("/faq segfault", "thanks for the report"), "d-added")
    service.settle()
    [answer] = fake.issue_comments(REPO, 1)
    assert "Segmentation fault" in answer["body"] or "segfault" in answer["body"].lower()
    service.send("issue_comment", edited_comment("/faq segfault\n\nthe crash above", "/faq segfault"), "d-same")
    deleted = comment_payload("/faq")
    deleted["action"] = "deleted"
    assert service.send("issue_comment", deleted, "d-deleted")[1]["status"] == "ignored"
    service.settle()
    assert len(fake.writes()) == 2  # the answer and its labels, from the one edit that added the command


def test_log_lines_name_the_delivery_and_the_issue(service, fake, caplog):
    caplog.set_level(logging.INFO, logger="bot.worker")
    service.send("issues", issue_payload(), "d-logged")
    service.settle()
    [record] = [r for r in caplog.records if r.name == "bot.worker" and "posted comment" in r.getMessage()]
    assert (record.delivery, record.issue) == ("d-logged", f"{REPO}#1")


def test_metrics_count_deliveries_jobs_triage_github_calls_and_answers_per_rule(service, fake):
    service.send("issues", issue_payload(), "d-open")
    service.send("issues", issue_payload(), "d-open")  # a redelivery
    service.send("ping", {"zen": "Design for failure."}, "d-ping")
    service.settle()
    with urllib.request.urlopen(service.url.replace("/webhook", "/metrics")) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = answer.read().decode()
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert float(samples['faqbot_deliveries_total{event="issues",outcome="queued"}']) >= 1
    assert float(samples['faqbot_deliveries_total{event="issues",outcome="duplicate"}']) >= 1
    assert float(samples['faqbot_deliveries_total{event="ping",outcome="ignored"}']) >= 1
    assert float(samples['faqbot_jobs_total{event="issues",outcome="done"}']) >= 1
    assert float(samples["faqbot_triage_seconds_count"]) >= 1
    assert float(samples['faqbot_github_requests_total{call="create_comment",status="2xx"}']) >= 1
    assert float(samples['faqbot_github_requests_total{call="get_file",status="404"}']) >= 2
    assert samples["faqbot_queue_depth"] == "0" and samples["faqbot_store_up"] == "1"
    assert samples['faqbot_rule_answers_total{rule="mmcv-ops-missing"}'] == "1"
    assert "# TYPE faqbot_triage_seconds histogram" in text and 'faqbot_triage_seconds_bucket{le="+Inf"}' in text


def test_a_worker_in_its_own_process_serves_its_metrics_on_its_port(service, fake):
    from bot import metrics

    server = metrics.serve_metrics(0, service.store, host="127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics") as answer:
            text = answer.read().decode()
    finally:
        server.shutdown()
    assert "# TYPE faqbot_github_requests_total counter" in text and "faqbot_queue_depth 0" in text


def test_the_bot_never_closes_locks_or_assigns(service, fake):
    """Whatever maintainers and reporters do, the bot's writes are comments and labels only."""
    service.send("issues", issue_payload(), "d-open")
    service.settle()
    for n, command in enumerate(["/faq", "/faq segfault", "/faq help", "/faq off", "/faq unmute segfault", "/faq"]):
        service.send("issue_comment", comment_payload(command, labels=tuple(fake.labels.get(f"{REPO}#1", ()))),
                     f"d-{n}")
        service.settle()
    service.send("issue_comment", reporter_comment(SEGFAULT), "d-reporter")
    service.settle()
    allowed = (rf"^/repos/{REPO}/issues/1/comments$", rf"^/repos/{REPO}/issues/comments/\d+$",
               rf"^/repos/{REPO}/issues/1/labels(/[^/]+)?$")
    writes = [(r.method, r.path) for r in fake.writes()]
    assert writes and all(any(re.match(pattern, path) for pattern in allowed) for _, path in writes), writes
    assert not any(method in ("PUT",) or path.endswith(("/lock", "/assignees")) for method, path in writes)
