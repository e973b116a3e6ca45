"""What the store keeps for maintainers: feedback per rule, mutes, shadow records, last good configs, replays."""

import time

import pytest

from bot.control_store import ANSWERED, LABEL_REMOVED, WITHDRAWN, ReplayIssue, RuleCounts
from bot.jobs import Store


@pytest.fixture
def store(database):  # SQLite and PostgreSQL (tests/conftest.py)
    store = Store(database)
    yield store
    store.close()


def test_feedback_counts_each_issue_once_per_rule_and_event(store):
    for number in (1, 2, 3):
        store.record_rule_event("o/r", f"o/r#{number}", "segfault", ANSWERED)
    store.record_rule_event("o/r", "o/r#1", "segfault", WITHDRAWN)
    store.record_rule_event("o/r", "o/r#1", "segfault", WITHDRAWN)
    store.record_rule_event("o/r", "o/r#2", "segfault", LABEL_REMOVED)
    store.record_rule_event("o/other", "o/other#1", "segfault", ANSWERED)
    assert store.rule_counts("o/r", "segfault") == RuleCounts(3, 1, 1)
    assert store.withdrawn_rules("o/r#1") == {"segfault"} and store.withdrawn_rules("o/r#2") == frozenset()
    assert store.rule_totals() == {"segfault": {ANSWERED: 4, WITHDRAWN: 1, LABEL_REMOVED: 1}}


def test_a_rule_turned_back_on_counts_afresh(store):
    store.record_rule_event("o/r", "o/r#1", "segfault", ANSWERED)
    store.record_rule_event("o/r", "o/r#1", "segfault", WITHDRAWN)
    assert store.set_muted("o/r", "segfault", True, "withdrawn on 1 of 1 answers")
    assert not store.set_muted("o/r", "segfault", True)
    assert store.muted_rules("o/r") == {"segfault"} and store.muted_rules("o/other") == frozenset()
    time.sleep(0.01)
    assert store.set_muted("o/r", "segfault", False)
    assert store.muted_rules("o/r") == frozenset() and store.rule_counts("o/r", "segfault") == RuleCounts()
    [stats] = store.rule_stats("o/r")
    assert (stats.rule_id, stats.counts, stats.muted) == ("segfault", RuleCounts(1, 1, 0), False)


def test_the_rules_of_an_answer_and_shadow_records_are_kept(store):
    store.set_answer_rules("o/r#1", ("segfault", "undefined-symbol"))
    assert store.answer_rules("o/r#1") == ("segfault", "undefined-symbol") and store.answer_rules("o/r#2") == ()
    store.record_shadow("o/r", "o/r#1", "opened", "crash", ("segfault",), ("faq",), "<!-- faq-bot -->\nanswer")
    store.record_shadow("o/x", "o/x#1", "opened", "x", ("segfault",), (), "other")
    [record] = store.shadow_records("o/r")
    assert (record.issue_key, record.title, record.rules, record.labels, record.body) == (
        "o/r#1", "crash", ("segfault",), ("faq",), "<!-- faq-bot -->\nanswer")
    assert len(store.shadow_records()) == 2


def test_the_last_good_config_is_remembered_and_forgotten_with_the_file(store):
    assert store.last_good_config("o/r") is None
    store.remember_good_config("o/r", "o/r:.github/faq-bot.yml", "version: 1\n")
    assert store.last_good_config("o/r") == ("o/r:.github/faq-bot.yml", "version: 1\n")
    store.forget_config("o/r")
    assert store.last_good_config("o/r") is None


def test_a_replay_keeps_its_page_and_issues_and_starts_afresh_when_asked(store):
    run = store.start_replay("o/r|", "o/r", "")
    assert (run.next_page, run.finished) == (1, False)
    store.save_replay_issue("o/r|", ReplayIssue(2, "https://github.com/o/r/issues/2", "t", "answer", ("segfault",),
                                                ("faq",), "body"))
    store.save_replay_issue("o/r|", ReplayIssue(1, "u", "t", "silent"))
    store.replay_progress("o/r|", 3, finished=True)
    assert store.replay_run("o/r|").next_page == 3 and store.replay_run("o/r|").finished
    assert [issue.number for issue in store.replay_issues("o/r|")] == [1, 2]
    assert store.replay_issues("o/r|")[1].rules == ("segfault",)
    store.start_replay("o/r|", "o/r", "")
    assert store.replay_issues("o/r|") == [] and store.replay_run("o/r|").next_page == 1


def test_labels_added_are_the_bots_own_and_not_those_a_person_removed(store):
    store.remember_labels_added("o/r#1", ("faq", "installation"))
    store.remember_label_removed("o/r#1", "installation")
    store.remember_label_removed("o/r#1", "bug")
    assert store.labels_added("o/r#1") == {"faq"}
    assert store.labels_not_to_add("o/r#1") == {"faq", "installation", "bug"}
