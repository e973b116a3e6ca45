"""Maintainers in control, on the in-memory fakes: a repository's config, the /faq commands, shadow
mode, feedback and mutes."""

from __future__ import annotations

import pytest

from bot.config_source import LoadedConfig
from bot.events import FaqCommand, IssueChanged, IssueRef, IssueSnapshot, LabelRemoved
from bot.marker import MARKER, NOTE_MARKER
from bot.repo_config import load_config
from tests.fakegithub import MMCV_TRACEBACK
from tests.test_handlers import ERROR_ONLY, run

REPO = "open-mmlab/mmcv"
REF = IssueRef(REPO, 7)
SOURCE = f"{REPO}:.github/faq-bot.yml"
SEGFAULT = IssueSnapshot("crash", "Training mmdet, then:\nSegmentation fault (core dumped)")
ANSWERED = IssueSnapshot("import error", MMCV_TRACEBACK)


def config(text: str, problem: str | None = None) -> LoadedConfig:
    return LoadedConfig(load_config("version: 1\n" + text, SOURCE), SOURCE, problem)


def opened(snapshot=ANSWERED, ref=REF):
    return IssueChanged(ref, snapshot, opened=True)


def command(argument="", target="", snapshot=ANSWERED, ref=REF):
    return FaqCommand(ref, snapshot, "maintainer", "MEMBER", argument, target)


# -- mode ------------------------------------------------------------------------------------------


def test_mode_off_does_nothing_on_its_own_and_says_so_once_when_asked(github, answers):
    off = config("mode: off")
    assert run(opened(), github, answers, config=off).startswith("off:") and github.writes == []
    assert run(command(), github, answers, config=off).startswith("noted: mode off")
    assert run(command(), github, answers, config=off).startswith("ignored: mode off was already noted")
    [note] = github.comments.values()
    assert note.startswith(NOTE_MARKER) and "switched off" in note and SOURCE in note


def test_shadow_mode_records_what_it_would_post_and_posts_nothing(github, answers):
    shadow = config("mode: shadow")
    outcome = run(opened(), github, answers, config=shadow)
    assert outcome.startswith("shadow: recorded the opened answer (mmcv-ops-missing)") and github.writes == []
    [(key, kind, rules, labels, body)] = answers.shadow
    assert (key, kind, rules, labels) == (REF.key, "opened", ("mmcv-ops-missing",), ("faq", "installation"))
    assert body.startswith(MARKER)
    assert answers.answers == {} and answers.events == set()  # switching to `on` later starts afresh


def test_a_command_in_shadow_mode_is_recorded_and_the_maintainer_told_once(github, answers):
    shadow = config("mode: shadow")
    assert run(command(), github, answers, config=shadow).startswith("noted: mode shadow")
    run(command(), github, answers, config=shadow)
    assert [kind for _, kind, *_ in answers.shadow] == ["command", "command"]
    [note] = github.comments.values()
    assert "shadow mode" in note and MARKER not in note


# -- rules, labels, thresholds, language ----------------------------------------------------------


def test_a_disabled_rule_stays_silent_and_enable_means_only_those(github, answers):
    assert run(opened(SEGFAULT), github, answers, config=config("rules: {disable: [segfault]}")) == \
        "silent: no rule matches"
    assert run(opened(SEGFAULT), github, answers, config=config("rules: {enable: [nms-no-gpu]}")) == \
        "silent: no rule matches"
    assert github.writes == []
    assert run(opened(SEGFAULT), github, answers, config=config("rules: {enable: [segfault]}")).startswith("posted")


def test_a_maintainer_may_still_ask_for_a_disabled_rule(github, answers):
    outcome = run(command("segfault", snapshot=SEGFAULT), github, answers, config=config("rules: {disable: [segfault]}"))
    assert outcome.startswith("posted comment")


def test_labels_are_renamed_or_dropped_as_the_config_says(github, answers):
    run(opened(), github, answers, config=config("labels: {faq: answered-by-faq-bot, installation: null}"))
    assert github.labels == ["answered-by-faq-bot", "needs-environment"]


def test_min_score_drops_a_fuzzy_match_below_it(github, answers):
    garbled = IssueSnapshot("nms", "RuntimeError: nms is not compild with GPU support")  # scores 98.6
    assert run(opened(garbled), github, answers, config=config("min_score: 99")) == "silent: no rule matches"
    assert run(opened(garbled), github, answers, config=config("min_score: 95")).startswith("posted")


def test_the_configured_language_answers_a_report_without_prose(github, answers):
    run(opened(ERROR_ONLY), github, answers, config=config("language: zh"))
    [answer] = github.comments.values()
    assert "这看起来是" in answer


def test_english_prose_is_answered_in_english_whatever_the_configured_language(github, answers):
    prose = IssueSnapshot("Import fails after installing mmcv from pip", MMCV_TRACEBACK)
    run(opened(prose), github, answers, config=config("language: zh"))
    [answer] = github.comments.values()
    assert "This looks like a known problem" in answer


def test_ask_for_environment_false_neither_asks_nor_labels(github, answers):
    run(opened(ERROR_ONLY), github, answers, config=config("ask_for_environment: false"))
    [answer] = github.comments.values()
    assert "collect_env" not in answer.split("**What to do**")[0] and "Please add your environment" not in answer
    assert "needs-environment" not in github.labels


@pytest.mark.parametrize(("snapshot", "reason"), [
    (IssueSnapshot("x", MMCV_TRACEBACK, labels=("wontfix",)), "the label 'wontfix'"),
    (IssueSnapshot("x", MMCV_TRACEBACK, author="dependabot[bot]"), "'dependabot[bot]' is in skip.authors"),
    (IssueSnapshot("x", MMCV_TRACEBACK, author="Dependabot"), "skip.authors"),
    (IssueSnapshot("x", MMCV_TRACEBACK, author="alice", author_association="MEMBER"), "is MEMBER"),
])
def test_skipped_issues_are_left_alone(github, answers, snapshot, reason):
    skip = config("skip: {labels: [wontfix], authors: [dependabot], author_associations: [MEMBER]}")
    outcome = run(opened(snapshot), github, answers, config=skip)
    assert outcome.startswith("skipped:") and reason in outcome and github.writes == []


def test_a_maintainers_faq_is_not_skipped(github, answers):
    member = IssueSnapshot("x", MMCV_TRACEBACK, author="alice", author_association="MEMBER")
    skip = config("skip: {author_associations: [MEMBER]}")
    assert run(command(snapshot=member), github, answers, config=skip).startswith("posted comment")


def test_a_broken_config_is_named_in_the_faq_reply(github, answers):
    broken = config("mode: on", problem=f"{SOURCE}:2: key 'mode': expected one of on, off, shadow, got 'maybe'")
    run(command(), github, answers, config=broken)
    [answer] = github.comments.values()
    assert answer.startswith(MARKER) and "Note for maintainers" in answer and "got 'maybe'" in answer


# -- /faq help -------------------------------------------------------------------------------------


def test_faq_help_lists_the_commands_and_this_repositorys_rules(github, answers):
    answers.muted.add((REPO, "undefined-symbol"))
    live = config("mode: on\nrules: {disable: [segfault, nms-no-gpu]}\nlabels: {installation: null}\n"
                  "skip: {labels: [wontfix]}")
    assert run(command("help"), github, answers, config=live) == "replied with help"
    [reply] = github.comments.values()
    assert reply.startswith(NOTE_MARKER) and "/faq off" in reply and "/faq unmute RULE-ID" in reply
    enabled = next(line for line in reply.splitlines() if line.startswith("Rules that answer here"))
    assert "`mmcv-ops-missing`" in enabled and "segfault" not in enabled and "undefined-symbol" not in enabled
    assert "Switched off by the config: `nms-no-gpu`, `segfault`." in reply or "`segfault`" in reply
    assert "Muted because" in reply and "`undefined-symbol`" in reply
    assert "`installation -> (none)`" in reply and "`label wontfix`" in reply and SOURCE in reply


# -- /faq off, feedback, mutes ---------------------------------------------------------------------


def test_faq_off_withdraws_the_answer_and_the_bots_labels_but_not_a_maintainers(github, answers):
    run(opened(ERROR_ONLY), github, answers)
    bot_labels = list(github.labels)
    github.labels.append("bug")  # a maintainer's
    github.writes.clear()
    outcome = run(command("off", snapshot=IssueSnapshot(ERROR_ONLY.title, ERROR_ONLY.body, tuple(github.labels))),
                  github, answers)
    assert outcome.startswith("withdrawn: deleted comment") and "recorded mmcv-ops-missing as wrong" in outcome
    assert github.comments == {} and github.labels == ["bug"]
    assert sorted(label for kind, label in github.writes if kind == "unlabel") == sorted(bot_labels)
    assert answers.withdrawn_rules(REF.key) == {"mmcv-ops-missing"}


def test_a_withdrawn_answer_does_not_come_back_on_an_edit_and_faq_does_not_give_it_again(github, answers):
    run(opened(), github, answers)
    run(command("off"), github, answers)
    github.writes.clear()
    edit = IssueChanged(REF, IssueSnapshot("import error", MMCV_TRACEBACK + "\nstill failing"), opened=False)
    assert run(edit, github, answers).startswith("silent") and github.writes == []
    assert run(command(), github, answers).startswith("posted comment")
    [reply] = github.comments.values()
    assert "I found no FAQ entry" in reply  # the withdrawn rule is not used again on this issue
    assert run(command("mmcv-ops-missing"), github, answers).startswith("edited comment")  # unless asked by name


def test_a_rule_withdrawn_too_often_is_muted_until_a_maintainer_unmutes_it(github, answers):
    strict = config("mute: {withdrawn_share: 0.5, min_answers: 3}")
    for number in (1, 2, 3):
        ref = IssueRef(REPO, number)
        run(opened(SEGFAULT, ref), github, answers, config=strict)
        outcome = run(command("off", snapshot=SEGFAULT, ref=ref), github, answers, config=strict)
    assert "muted segfault" in outcome and answers.muted_rules(REPO) == {"segfault"}
    assert run(opened(SEGFAULT, IssueRef(REPO, 4)), github, answers, config=strict) == "silent: no rule matches"
    assert run(command("unmute", "segfault"), github, answers, config=strict) == "unmuted segfault"
    assert "may answer again" in list(github.comments.values())[-1]
    assert run(opened(SEGFAULT, IssueRef(REPO, 5)), github, answers, config=strict).startswith("posted comment")


def test_unmute_of_an_unknown_rule_is_noted_as_unknown(github, answers):
    assert run(command("unmute", "segfalt"), github, answers).startswith("noted: unknown rule 'segfalt'")


def test_a_person_removing_a_rule_label_counts_against_the_rule(github, answers):
    run(opened(SEGFAULT), github, answers, config=config("labels: {faq: answered}"))
    outcome = run(LabelRemoved(REF, "answered", "maintainer"), github, answers, config=config("labels: {faq: answered}"))
    assert outcome.endswith("counted against segfault")
    assert answers.rule_counts(REPO, "segfault").labels_removed == 1
    assert run(LabelRemoved(REF, "bug", "maintainer"), github, answers).endswith("again")  # not the bot's label


def test_answers_are_counted_per_rule(github, answers):
    run(opened(), github, answers)
    assert answers.rule_counts(REPO, "mmcv-ops-missing").answered == 1
