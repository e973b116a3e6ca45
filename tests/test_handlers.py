"""The handlers alone, on small in-memory fakes of the GitHub client and the stores (tests/memory.py)."""

from __future__ import annotations

import dataclasses

import pytest

from bot import metrics
from bot.config_source import LoadedConfig
from bot.events import AuthorComment, FaqCommand, IssueChanged, IssueRef, IssueSnapshot, LabelRemoved
from bot.handlers import Context, handle, read_command_word
from bot.handlers.context import issue_of
from bot.jobs import Conversation
from bot.repo_config import RepoConfig
from bot.marker import FOLLOW_UP_MARKER, MARKER, NOTE_MARKER
from bot.rules import load_rules
from bot.settings import DEFAULT_RULES
from bot.triage import triage
from tests.fakegithub import MMCV_TRACEBACK

RULES = load_rules(DEFAULT_RULES)
REF = IssueRef("open-mmlab/mmcv", 7)
ANSWERED = IssueSnapshot("import error", MMCV_TRACEBACK)
CHINESE_REPORT = "我装好以后运行训练脚本就报错了，请问怎么解决？\n" + MMCV_TRACEBACK
UNRELATED = IssueSnapshot("How do I train on two GPUs?", "Is there a config for that?")


def run(work, github, answers, recovering=False, config=None) -> str:
    """Handle ``work`` with the repository's ``config`` (a bot.config_source.LoadedConfig; None: defaults)."""
    context = Context(github, answers, RULES, recovering, feedback=answers)
    if config is not None:
        context = dataclasses.replace(context, repo_config=lambda: config)
    return handle(work, context)


def opened(snapshot=ANSWERED):
    return IssueChanged(REF, snapshot, opened=True)


def edited(snapshot=ANSWERED):
    return IssueChanged(REF, snapshot, opened=False)


def command(argument="", commenter="maintainer", association="MEMBER", snapshot=ANSWERED):
    return FaqCommand(REF, snapshot, commenter, association, argument)


def test_opened_issue_gets_one_answer_and_its_labels(github, answers):
    assert run(opened(), github, answers).startswith("posted comment")
    assert [kind for kind, _ in github.writes] == ["create", "labels"]
    assert MARKER in next(iter(github.comments.values()))


def test_an_issue_is_triaged_again_only_when_the_repositorys_config_may_change_the_answer(github, answers):
    # The first triage, with every rule, tells whether there is anything to say; the repository's
    # rules and options get a second one only when they differ from that (faqbot_triage_seconds).
    before = metrics.TRIAGE_SECONDS.count
    assert run(opened(), github, answers).startswith("posted comment")
    assert metrics.TRIAGE_SECONDS.count == before + 1
    rule_id = next(m.rule.id for m in triage(issue_of(REF, ANSWERED), RULES).matches)
    disabled = LoadedConfig(RepoConfig(disable=(rule_id,)), "open-mmlab/mmcv:.github/faq-bot.yml")
    before = metrics.TRIAGE_SECONDS.count
    outcome = run(IssueChanged(IssueRef(REF.repo, 8), ANSWERED, opened=True), github, answers, config=disabled)
    assert metrics.TRIAGE_SECONDS.count == before + 2
    assert outcome == "silent: no rule matches"  # the second triage, without the disabled rule, decided


def test_a_label_a_person_removed_is_not_added_again(github, answers):
    run(opened(), github, answers)
    removed = github.labels[0]
    run(LabelRemoved(REF, removed, "maintainer"), github, answers)
    github.writes.clear()
    run(command(), github, answers)  # even a maintainer's re-run does not bring it back
    assert ("labels", (removed,)) not in github.writes


def test_a_label_the_bot_added_and_the_delivery_no_longer_shows_is_not_added_again(github, answers):
    run(opened(), github, answers)
    github.writes.clear()
    run(edited(IssueSnapshot("import error", CHINESE_REPORT, labels=())), github, answers)
    assert [kind for kind, _ in github.writes] == ["edit"]  # the answer follows the edit; no label comes back


def test_a_maintainers_chosen_answer_survives_the_reporters_edit(github, answers):
    rule_id = "segfault"
    run(command(rule_id, snapshot=UNRELATED), github, answers)
    github.writes.clear()
    outcome = run(edited(ANSWERED), github, answers)
    assert outcome.startswith("kept: a maintainer chose") and github.writes == []


def test_a_plain_faq_from_a_maintainer_replaces_a_chosen_answer(github, answers):
    run(command("segfault", snapshot=ANSWERED), github, answers)
    assert run(command("", snapshot=ANSWERED), github, answers).startswith("edited comment")
    assert answers.answer(REF.key).source == "triage"


def test_a_deleted_answer_stays_deleted_on_an_edit_and_comes_back_on_faq(github, answers):
    run(opened(), github, answers)
    github.comments.clear()  # a maintainer deleted it
    edit = edited(IssueSnapshot("import error", CHINESE_REPORT))  # would change the answer's language
    assert run(edit, github, answers).startswith("silent: a maintainer deleted")
    assert run(edit, github, answers).startswith("silent: a maintainer deleted")
    assert run(command(), github, answers).startswith("posted comment")
    assert len(github.comments) == 1


def test_an_unknown_rule_is_noted_once_per_issue_and_word(github, answers):
    assert run(command("segfalt"), github, answers).startswith("noted: unknown rule")
    assert run(command("segfalt"), github, answers).startswith("ignored: unknown rule")
    assert run(command("no-such-rule"), github, answers).startswith("noted: unknown rule")
    assert [NOTE_MARKER in body for body in github.comments.values()] == [True, True]


def test_a_recovering_job_finds_the_note_it_already_posted(github, answers):
    run(command("no-such-rule"), github, answers)
    answers.notes.clear()  # the worker died before remembering it
    assert run(command("no-such-rule"), github, answers, recovering=True).startswith("noted before")
    assert len(github.comments) == 1


@pytest.mark.parametrize(("word", "expected"), [
    ("", (None, None)),
    ("segfault", ("segfault", None)),
    ("Segfault", ("segfault", None)),
    ("please", (None, None)),
    ("again", (None, None)),
    ("segfalt", (None, "segfalt")),
    ("no-such-rule", (None, "no-such-rule")),
])
def test_the_word_after_faq_is_a_rule_an_unknown_rule_or_an_ordinary_word(word, expected):
    assert read_command_word(word, RULES) == expected


def test_faq_please_is_a_plain_rerun(github, answers):
    assert run(command("please"), github, answers).startswith("posted comment")
    assert MARKER in next(iter(github.comments.values()))


def test_strangers_command_writes_nothing(github, answers):
    outcome = run(command(commenter="someone", association="NONE"), github, answers)
    assert outcome.startswith("ignored") and github.writes == []


def test_recovering_job_edits_the_answer_it_already_posted(github, answers):
    run(opened(), github, answers)
    answers.answers.clear()  # posted, then the worker died before remembering it
    github.writes.clear()
    run(opened(), github, answers, recovering=True)
    assert github.writes == []  # found its comment (unchanged); its labels were added before
    assert len(github.comments) == 1


# -- the conversation with the issue's author ------------------------------------------------------

ERROR_ONLY = IssueSnapshot("mmcv ops fail", "ModuleNotFoundError: No module named 'mmcv._ext'")
ENV_WITHOUT_OPS = """sys.platform: linux
CUDA available: True
GPU 0: NVIDIA GeForce RTX 3090
PyTorch: 2.1.0+cu121
MMCV: 2.1.0
MMCV Compiler: n/a
MMCV CUDA Compiler: n/a
MMDetection: 3.3.0+unknown"""
ENV_WITH_OPS = ENV_WITHOUT_OPS.replace("MMCV Compiler: n/a", "MMCV Compiler: GCC 9.3").replace(
    "MMCV CUDA Compiler: n/a", "MMCV CUDA Compiler: 12.1")


def by_author(body, comment_id=1, snapshot=ERROR_ONLY):
    return AuthorComment(REF, snapshot, comment_id, body)


def test_an_answer_that_asks_for_the_environment_labels_the_issue_as_waiting(github, answers):
    run(opened(ERROR_ONLY), github, answers)
    assert "needs-environment" in github.labels
    assert answers.conversation(REF.key).waiting_for_environment


def test_the_authors_environment_gets_one_reply_stops_the_question_and_the_label(github, answers):
    run(opened(ERROR_ONLY), github, answers)
    github.writes.clear()
    outcome = run(by_author("Here it is:\n" + ENV_WITHOUT_OPS), github, answers)
    assert [kind for kind, _ in github.writes] == ["create", "edit", "unlabel"], outcome
    reply_body = github.comments[github.writes[0][1]]
    assert reply_body.startswith(FOLLOW_UP_MARKER) and "MMCV 2.1.0" in reply_body
    answer = github.comments[answers.answer(REF.key).comment_id]
    assert "Please add your environment" not in answer and "needs-environment" not in github.labels
    assert run(by_author(ENV_WITHOUT_OPS, comment_id=2), github, answers).startswith("ignored")


def test_an_environment_that_explains_nothing_says_so_in_one_sentence(github, answers):
    run(opened(ERROR_ONLY), github, answers)
    github.writes.clear()
    run(by_author(ENV_WITH_OPS), github, answers)
    reply_body = github.comments[github.writes[0][1]]
    assert "shows nothing that explains this error" in reply_body and reply_body.count("\n") <= 2


@pytest.mark.parametrize("text", ["thanks, solved!", "still not working :(", "![screenshot](https://x/y.png)",
                                  "> ModuleNotFoundError: No module named 'mmcv._ext'"])
def test_a_comment_that_adds_nothing_to_read_is_ignored(github, answers, text):
    run(opened(ERROR_ONLY), github, answers)
    github.writes.clear()
    assert run(by_author(text), github, answers).startswith("ignored") and github.writes == []


def test_code_quoted_from_the_bots_own_comment_is_not_new_input(github, answers):
    run(opened(ERROR_ONLY), github, answers)
    github.writes.clear()
    quoted = "I ran what you said:\n```\npython mmdet/utils/collect_env.py\n```\nstill broken"
    assert run(by_author(quoted), github, answers).startswith("ignored") and github.writes == []


def test_the_first_error_in_a_later_comment_gets_the_answer_the_issue_would_have(github, answers):
    vague = IssueSnapshot("it doesn't work", "See below.")
    assert run(opened(vague), github, answers).startswith("silent")
    outcome = run(by_author(MMCV_TRACEBACK, snapshot=vague), github, answers)
    assert outcome.startswith("posted comment")
    [answer] = github.comments.values()
    assert answer.startswith(MARKER) and "faq" in github.labels


def test_a_different_faq_error_later_gets_one_follow_up_answer(github, answers):
    run(opened(), github, answers)
    github.writes.clear()
    crash = "Now training starts but then:\nSegmentation fault (core dumped)"
    assert run(by_author(crash), github, answers).startswith("followed up with segfault")
    assert run(by_author(crash, comment_id=2), github, answers).startswith("ignored")
    follow_ups = [body for body in github.comments.values() if body.startswith(FOLLOW_UP_MARKER)]
    assert len(follow_ups) == 1 and "Your new comment shows another known problem" in follow_ups[0]


def test_at_most_three_follow_up_replies_per_issue(github, answers):
    answers.conversations[REF.key] = Conversation(True, 3, frozenset({"mmcv-ops-missing"}))
    run(opened(ERROR_ONLY), github, answers)
    github.writes.clear()
    assert run(by_author(ENV_WITHOUT_OPS), github, answers).startswith("ignored: the bot has replied 3 times")
    assert github.writes == []
