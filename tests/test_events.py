"""Which deliveries become which work: parsing of issue events and `/faq` commands."""

import copy
import json

import pytest

from bot.events import (
    AuthorComment,
    FaqCommand,
    IssueChanged,
    LabelRemoved,
    PayloadError,
    decode_work,
    encode_work,
    parse_command,
    parse_delivery,
    read_command,
)
from bot.marker import MARKER
from tests.fakegithub import example, unlabeled_payload


def comment(body: str, association: str = "OWNER", login: str = "Codertocat", user_type: str = "User") -> dict:
    payload = example("issue_comment.created.with-installation")
    payload["comment"].update(body=body, author_association=association)
    payload["comment"]["user"].update(login=login, type=user_type)
    return payload


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/faq", ""),
        ("/faq mmcv-ext", "mmcv-ext"),
        ("\n\n  /faq mmcv-ext please\nthanks", "mmcv-ext"),
        ("/faq\r\nmore", ""),
        ("/faqs", None),
        ("/faq-ext", None),
        ("please /faq", None),
        ("thanks\n/faq", None),
        ("> /faq", None),
        ("```\n/faq\n```", None),
        ("~~~\n/faq", None),
        ("    /faq", None),  # four spaces: a Markdown code block
        ("", None),
        ("> the reporter wrote this\n\n/faq segfault", "segfault"),  # a reply quoting someone first
        ("```\nlog\n```\n/faq", ""),  # a code block first: the commenter's own words follow it
        ("````\n```\n/faq\n````", None),  # a longer fence holds a shorter one
        ("> /faq segfault\nthanks", None),
    ],
)
def test_faq_command_parsing(body, expected):
    assert parse_command(body) == expected


def test_a_subcommand_and_its_target_are_read():
    assert read_command("/faq unmute segfault please") == ("unmute", "segfault")
    assert read_command("/faq off") == ("off", "")
    assert read_command("/faq") == ("", "")


def edited_comment(body: str, before: str | None, association: str = "OWNER") -> dict:
    payload = comment(body, association)
    payload["action"] = "edited"
    if before is not None:
        payload["changes"] = {"body": {"from": before}}
    return payload


@pytest.mark.parametrize(("body", "before", "expected"), [
    ("/faq segfault", "Thanks for the report.", ("segfault", "")),  # the edit added the command
    ("/faq segfault", "/faq segfalt", ("segfault", "")),  # it corrected the command
    ("/faq off", "/faq", ("off", "")),
    ("/faq segfault\n\nlooks like it", "/faq segfault", None),  # the command was there before
    ("/FAQ SEGFAULT", "/faq segfault", None),
    ("Thanks, fixed.", "/faq segfault", None),  # the edit took it away: nothing to run
    ("/faq segfault", None, None),  # GitHub says nothing changed in the text
])
def test_an_edited_comment_runs_only_a_command_the_edit_added(body, before, expected):
    work = parse_delivery("issue_comment", edited_comment(body, before))
    assert (work.argument, work.target) == expected if expected else work is None


def test_a_deleted_comment_does_nothing():
    payload = comment("/faq")
    payload["action"] = "deleted"
    assert parse_delivery("issue_comment", payload) is None


def test_the_snapshot_says_who_reported_the_issue():
    work = parse_delivery("issues", example("issues.opened"))
    assert (work.issue.author, work.issue.author_association) == ("Codertocat", "OWNER")


def test_opened_issue_becomes_triage_work_with_what_the_payload_says():
    payload = example("issues.opened")
    payload["issue"]["labels"] = [{"name": "bug"}]
    work = parse_delivery("issues", payload)
    assert isinstance(work, IssueChanged) and work.opened
    assert work.ref.key == "Codertocat/Hello-World#1" and work.ref.installation_id is None
    assert work.issue.title == "Spelling error in the README file" and work.issue.labels == ("bug",)


def test_edited_issue_only_updates():
    work = parse_delivery("issues", example("issues.edited"))
    assert isinstance(work, IssueChanged) and not work.opened


def test_null_body_reads_as_empty():
    assert parse_delivery("issues", example("issues.opened.with-empty-body")).issue.body == ""


def test_installation_id_comes_from_the_delivery():
    assert parse_delivery("issue_comment", comment("/faq")).ref.installation_id == 1


@pytest.mark.parametrize(
    ("event", "name"),
    [("issues", "issues.reopened"), ("ping", "ping"), ("installation", "installation.created"),
     ("issue_comment", "issue_comment.edited"), ("issue_comment", "issue_comment.created.with-organization")],
)
def test_other_events_and_actions_are_ignored(event, name):
    payload = example(name)
    if event == "issue_comment":
        payload["issue"]["user"]["login"] = "reporter"  # a comment by someone other than the issue's author
    assert parse_delivery(event, payload) is None


def test_the_authors_comment_on_their_open_issue_is_work():
    work = parse_delivery("issue_comment", example("issue_comment.created"))  # Codertocat on Codertocat's issue
    assert isinstance(work, AuthorComment)
    assert (work.comment_id, work.body) == (492700400, "You are totally right! I'll get this fixed right away.")


@pytest.mark.parametrize("change", [{"state": "closed"}, {"locked": True}])
def test_the_authors_comment_on_a_closed_or_locked_issue_is_ignored(change):
    payload = example("issue_comment.created")
    payload["issue"].update(change)
    assert parse_delivery("issue_comment", payload) is None


def test_maintainer_faq_command():
    work = parse_delivery("issue_comment", comment("/faq mmcv-ext"))
    assert isinstance(work, FaqCommand)
    assert (work.commenter, work.argument, work.by_known_maintainer) == ("Codertocat", "mmcv-ext", True)


def test_strangers_command_is_parsed_for_a_permission_check():
    work = parse_delivery("issue_comment", comment("/faq", association="NONE", login="someone"))
    assert work.argument == "" and not work.by_known_maintainer


@pytest.mark.parametrize(
    "payload",
    [
        comment("/faq", login="helper[bot]"),
        comment("/faq", user_type="Bot"),
        comment(f"/faq\n{MARKER}"),  # the bot's own comment, even posted with a user's token
    ],
)
def test_bots_comments_are_ignored(payload):
    assert parse_delivery("issue_comment", payload) is None


def test_comments_on_pull_requests_are_ignored():
    payload = comment("/faq")
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    assert parse_delivery("issue_comment", payload) is None


@pytest.mark.parametrize(
    ("event", "mutate"),
    [
        ("issues", lambda p: p.pop("issue")),
        ("issues", lambda p: p["issue"].pop("number")),
        ("issues", lambda p: p["issue"].update(number="1")),
        ("issues", lambda p: p["issue"].update(title=None)),
        ("issues", lambda p: p["issue"].update(body=["x"])),
        ("issues", lambda p: p.pop("repository")),
        ("issues", lambda p: p.update(installation={"id": "1"})),
        ("issue_comment", lambda p: p.pop("comment")),
        ("issue_comment", lambda p: p["comment"].update(body=None)),
        ("issue_comment", lambda p: p["comment"].pop("user")),
    ],
)
def test_payload_missing_what_the_event_needs_is_an_error(event, mutate):
    payload = copy.deepcopy(example("issues.opened") if event == "issues" else comment("/faq"))
    mutate(payload)
    with pytest.raises(PayloadError):
        parse_delivery(event, payload)


@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_non_object_payload_is_an_error(payload):
    with pytest.raises(PayloadError):
        parse_delivery("issues", payload)


@pytest.mark.parametrize(
    ("event", "payload"),
    [("issues", example("issues.opened")), ("issues", example("issues.edited")),
     ("issues", example("issues.opened.with-empty-body")), ("issue_comment", comment("/faq x")),
     ("issue_comment", comment("/faq")), ("issues", unlabeled_payload("installation", "maintainer")),
     ("issue_comment", example("issue_comment.created"))],
)
def test_stored_work_reads_back_as_the_parsed_work(event, payload):
    work = parse_delivery(event, payload)
    stored = encode_work(work)
    assert decode_work(stored, event) == work
    assert len(stored) < len(json.dumps(payload)) / 4  # a job keeps what it needs, not the 15 kB payload


def test_a_job_stored_by_an_earlier_version_still_reads_as_its_delivery():
    payload = example("issues.opened")
    assert decode_work(json.dumps(payload).encode(), "issues") == parse_delivery("issues", payload)


@pytest.mark.parametrize("stored", [b"{not json", b'{"kind": "issue_changed"}', b'{"kind": "nope", "ref": {}}'])
def test_unreadable_stored_work_is_a_payload_error(stored):
    with pytest.raises(PayloadError):
        decode_work(stored, "issues")


def test_a_lone_surrogate_cannot_be_stored_and_says_why():
    payload = example("issues.opened")
    payload["issue"]["body"] = "\ud800"
    with pytest.raises(PayloadError, match="surrogate"):
        encode_work(parse_delivery("issues", payload))


def test_a_person_removing_a_label_is_work():
    work = parse_delivery("issues", unlabeled_payload("installation", "maintainer"))
    assert isinstance(work, LabelRemoved) and (work.label, work.remover) == ("installation", "maintainer")


@pytest.mark.parametrize("sender", [("faq-bot[bot]", "Bot"), ("renovate", "Bot")])
def test_a_bot_removing_a_label_is_not_a_persons_decision(sender):
    assert parse_delivery("issues", unlabeled_payload("installation", *sender)) is None
