"""The GitHub client over HTTP against the fake: the calls, pacing, and what each failure leads to."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import pytest

from bot import metrics
from bot.github import (
    CommentGone,
    GitHubError,
    Permission,
    RateLimited,
    Unavailable,
    UnreadableFile,
    Unprocessable,
    client_factory,
)
from bot.jobs import Store
from tests.conftest import APP_ID
from tests.fakegithub import BOT_LOGIN, REPO, TOKEN_LOGIN

COMMENTS = rf"/repos/{REPO}/issues/1/comments"
MARKER = "<!-- faq-bot -->"


@pytest.fixture
def client(settings):
    return client_factory(settings, store=None)(None)


def test_comment_and_labels_take_one_request_each_with_the_token(client, fake):
    comment_id = client.create_comment(REPO, 1, "hello")
    client.add_labels(REPO, 1, ("installation", "mmcv"))
    client.edit_comment(REPO, comment_id, "hello again")
    assert [(r.method, r.path) for r in fake.calls()] == [
        ("POST", COMMENTS), ("POST", f"/repos/{REPO}/issues/1/labels"),
        ("PATCH", f"/repos/{REPO}/issues/comments/{comment_id}")]
    assert all(r.headers["authorization"] == "token ghp_faketoken" for r in fake.calls())
    assert fake.comments[comment_id]["body"] == "hello again"
    assert fake.labels[f"{REPO}#1"] == ["installation", "mmcv"]


def test_find_bot_comment_reads_every_page(client, fake):
    for n in range(120):
        client.create_comment(REPO, 1, f"comment {n}")
    wanted = client.create_comment(REPO, 1, "answer <!-- faq-bot -->")
    found = client.find_bot_comment(REPO, 1, "<!-- faq-bot -->")
    assert found.id == wanted and "answer" in found.body
    assert len(fake.calls("GET", COMMENTS)) == 2  # per_page=100
    assert client.find_bot_comment(REPO, 2, "<!-- faq-bot -->") is None


def test_permission_is_one_request(client, fake):
    fake.permissions[(REPO, "helper")] = ("read", "triage")
    assert client.get_permission(REPO, "helper") == Permission("read", "triage")
    assert client.get_permission(REPO, "helper").may_maintain
    assert not client.get_permission(REPO, "stranger").may_maintain
    assert len(fake.calls("GET")) == 3


def test_server_errors_and_dropped_connections_are_retried(client, fake):
    fake.fail("POST", COMMENTS, 502, times=2)
    fake.fail("POST", COMMENTS, drop=True)
    client.create_comment(REPO, 1, "hello")
    assert len(fake.calls("POST", COMMENTS)) == 4
    assert len(fake.issue_comments(REPO, 1)) == 1


def test_server_errors_give_up_after_max_attempts(client, fake):
    fake.fail("POST", COMMENTS, 500, times=10)
    with pytest.raises(GitHubError, match="500"):
        client.create_comment(REPO, 1, "hello")
    assert len(fake.calls("POST", COMMENTS)) == 4


def test_timeouts_are_retried(settings, fake):
    client = client_factory(dataclasses.replace(settings, http_timeout=1), store=None)(None)
    fake.fail("POST", COMMENTS, perform=False, delay=1.5)
    client.create_comment(REPO, 1, "hello")
    assert len(fake.calls("POST", COMMENTS)) == 2


def test_retry_after_is_honoured(client, fake):
    fake.fail("POST", COMMENTS, 403, headers={"Retry-After": "1"},
              body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
    started = time.monotonic()
    client.create_comment(REPO, 1, "hello")
    assert time.monotonic() - started >= 1.0
    assert len(fake.calls("POST", COMMENTS)) == 2


def test_rate_limit_reset_is_honoured(client, fake):
    reset = int(time.time()) + 1
    fake.fail("POST", COMMENTS, 429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
              body={"message": "API rate limit exceeded for installation ID 1234567."})
    client.create_comment(REPO, 1, "hello")
    assert time.time() >= reset
    assert len(fake.calls("POST", COMMENTS)) == 2


def test_long_rate_limit_is_not_slept_in_the_worker(client, fake):
    fake.fail("POST", COMMENTS, 403, headers={"Retry-After": "3600"}, body={"message": "secondary rate limit"})
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        client.create_comment(REPO, 1, "hello")
    assert time.monotonic() - started < 1
    assert caught.value.until >= time.time() + 3500


def test_forbidden_without_rate_limit_is_not_retried(client, fake):
    fake.fail("POST", COMMENTS, 403, body={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubError, match="not accessible"):
        client.create_comment(REPO, 1, "hello")
    assert len(fake.calls()) == 1


def test_not_found_is_retried_twice_then_given_up(client, fake):
    fake.fail("POST", COMMENTS, 404, body={"message": "Not Found"}, times=2)
    client.create_comment(REPO, 1, "hello")
    fake.fail("POST", COMMENTS, 404, body={"message": "Not Found"}, times=99)
    with pytest.raises(GitHubError, match="404"):
        client.create_comment(REPO, 1, "hello")
    assert len(fake.calls("POST", COMMENTS)) == 3 + 3


@pytest.mark.parametrize("status", [410, 400])
def test_gone_and_other_client_errors_are_not_retried(client, fake, status):
    fake.fail("POST", COMMENTS, status, body={"message": "Issue is gone"})
    with pytest.raises(GitHubError, match=str(status)):
        client.create_comment(REPO, 1, "hello")
    assert len(fake.calls()) == 1


def test_over_long_comment_is_unprocessable_with_the_limit(settings, fake):
    fake.max_comment_chars = 50
    client = client_factory(settings, store=None)(None)
    with pytest.raises(Unprocessable) as caught:
        client.create_comment(REPO, 1, "x" * 51)
    assert caught.value.max_chars == 50 and len(fake.calls()) == 1


def test_writes_are_paced(settings, fake):
    client = client_factory(dataclasses.replace(settings, write_interval=0.2), store=None)(None)
    started = time.monotonic()
    for _ in range(3):
        client.create_comment(REPO, 1, "hello")
    assert time.monotonic() - started >= 0.4


def test_app_uses_installation_token_minted_with_a_verified_jwt(app_settings, fake):
    make = client_factory(app_settings, store=None)
    make(7).create_comment(REPO, 1, "hello")
    make(7).add_labels(REPO, 1, ("installation",))
    mints = fake.calls("POST", "/access_tokens")
    assert [r.path for r in mints] == ["/app/installations/7/access_tokens"]
    assert mints[0].headers["authorization"].startswith("Bearer ")
    token = next(iter(fake.installation_tokens))
    assert [r.headers["authorization"] for r in fake.writes()] == [f"token {token}"] * 2


def test_app_token_is_refreshed_once_on_401(app_settings, fake):
    client = client_factory(app_settings, store=None)(7)
    client.create_comment(REPO, 1, "hello")
    fake.installation_tokens.clear()  # GitHub revoked it
    client.create_comment(REPO, 1, "hello again")
    assert len(fake.calls("POST", "/access_tokens")) == 2
    fake.fail("POST", COMMENTS, 401, body={"message": "Bad credentials"}, times=5)
    with pytest.raises(GitHubError, match="401"):
        client.create_comment(REPO, 1, "third")
    assert len(fake.calls("POST", "/access_tokens")) == 3  # refreshed once, not in a loop


def test_app_with_wrong_key_is_refused(app_settings, fake, app_key):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    client = client_factory(dataclasses.replace(app_settings, app_private_key=other), store=None)(7)
    with pytest.raises(GitHubError, match="401"):
        client.create_comment(REPO, 1, "hello")
    assert fake.issue_comments(REPO, 1) == []


def test_app_needs_an_installation(app_settings):
    with pytest.raises(GitHubError, match="installation"):
        client_factory(app_settings, store=None)(None).create_comment(REPO, 1, "hello")


# -- whose comment is the bot's own ----------------------------------------------------------------


def test_with_the_token_only_the_tokens_user_comment_is_the_bots(client, fake):
    fake.add_comment(REPO, 1, f"quoting the bot: {MARKER}", "reporter")
    assert client.find_bot_comment(REPO, 1, MARKER) is None
    own = client.create_comment(REPO, 1, f"answer {MARKER}")
    assert client.find_bot_comment(REPO, 1, MARKER).id == own
    assert len(fake.calls("GET", "^/user$")) == 1  # once per process


def test_with_an_app_another_bots_copy_of_the_answer_is_not_the_bots(app_settings, fake, app_key):
    fake.add_app(APP_ID, app_key[1], slug="mmlab-faq")  # the slug is read from GitHub, not assumed
    make = client_factory(app_settings, store=None)
    fake.add_comment(REPO, 1, f"Translated: {MARKER}", "translator[bot]", "Bot")
    fake.add_comment(REPO, 1, f"copy {MARKER}", BOT_LOGIN, "Bot")  # another App's default slug
    assert make(7).find_bot_comment(REPO, 1, MARKER) is None
    own = make(7).create_comment(REPO, 1, f"answer {MARKER}")
    assert fake.comments[own]["user"]["login"] == "mmlab-faq[bot]"
    found = make(7).find_bot_comment(REPO, 1, MARKER)
    assert found.id == own and found.body == f"answer {MARKER}"
    [app] = fake.calls("GET", "^/app$")  # once per process, with the App's JWT
    assert app.headers["authorization"].startswith("Bearer ") and not app.headers["authorization"].endswith(
        tuple(fake.installation_tokens))


# -- a create that may have gone through ----------------------------------------------------------

AFTER_THE_WORK = {
    "timeout": dict(delay=2.0),
    "dropped": dict(drop=True),
    "502": dict(status=502),
}


@pytest.mark.parametrize("failure", AFTER_THE_WORK)
def test_a_comment_created_despite_a_failure_is_not_posted_again(settings, fake, failure):
    client = client_factory(dataclasses.replace(settings, http_timeout=1), store=None)(None)
    fake.add_comment(REPO, 1, "hello", "reporter")  # the same text by someone else is not the bot's
    fake.fail("POST", COMMENTS, perform=True, **AFTER_THE_WORK[failure])
    comment_id = client.create_comment(REPO, 1, "hello")
    [own] = [c for c in fake.issue_comments(REPO, 1) if c["user"]["login"] == TOKEN_LOGIN]
    assert comment_id == own["id"]
    assert len(fake.calls("POST", COMMENTS)) == 1 and len(fake.calls("GET", COMMENTS)) == 1


def test_an_app_comment_created_despite_a_502_is_not_posted_again(app_settings, fake):
    client = client_factory(app_settings, store=None)(7)
    fake.fail("POST", COMMENTS, perform=True, status=502)
    comment_id = client.create_comment(REPO, 1, f"answer {MARKER}")
    assert [c["id"] for c in fake.issue_comments(REPO, 1)] == [comment_id]


def test_a_created_comment_is_recognised_with_crlf_and_trailing_whitespace(settings, fake):
    client = client_factory(dataclasses.replace(settings, http_timeout=1), store=None)(None)
    fake.fail("POST", COMMENTS, perform=True, delay=2.0)
    result = {}
    posting = threading.Thread(target=lambda: result.update(id=client.create_comment(REPO, 1, "answer\n\nfix  \n")))
    posting.start()
    deadline = time.monotonic() + 5
    while not fake.issue_comments(REPO, 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    [stored] = fake.issue_comments(REPO, 1)
    stored["body"] = "answer\r\n\r\nfix\r\n"  # as GitHub may hand it back
    posting.join()
    assert result["id"] == stored["id"] and len(fake.issue_comments(REPO, 1)) == 1


def test_an_older_identical_comment_is_not_taken_for_the_new_one(client, fake):
    old = client.create_comment(REPO, 1, "nothing found")  # a /faq note posted long ago, edited just now:
    fake.comments[old]["created_at"] = "2020-01-01T00:00:00Z"  # `since` (last update) lists it all the same
    fake.fail("POST", COMMENTS, 502)  # this time nothing was created
    new = client.create_comment(REPO, 1, "nothing found")
    assert new != old and len(fake.issue_comments(REPO, 1)) == 2
    assert "since" in fake.calls("GET", COMMENTS)[0].query


def test_failures_that_did_nothing_are_not_looked_for(client, fake):
    fake.fail("POST", COMMENTS, 404, body={"message": "Not Found"})
    fake.fail("POST", COMMENTS, 403, headers={"Retry-After": "0"}, body={"message": "secondary rate limit"})
    client.create_comment(REPO, 1, "hello")
    assert fake.calls("GET") == [] and len(fake.issue_comments(REPO, 1)) == 1


# -- deleted comments, label removal ----------------------------------------------------------------


def test_editing_a_deleted_comment_raises_comment_gone(client, fake):
    comment_id = client.create_comment(REPO, 1, "answer")
    assert fake.delete_comment(comment_id)  # a maintainer deleted it
    with pytest.raises(CommentGone, match="404"):
        client.edit_comment(REPO, comment_id, "answer, edited")
    assert issubclass(CommentGone, GitHubError)
    assert len(fake.calls("PATCH")) == 3  # after the quick 404 retries
    assert fake.issue_comments(REPO, 1) == []


def test_an_uninstalled_app_is_not_a_deleted_comment(app_settings, fake):
    fake.fail("POST", "/access_tokens", 404, body={"message": "Not Found"}, times=9)
    with pytest.raises(GitHubError, match="404") as caught:
        client_factory(app_settings, store=None)(7).edit_comment(REPO, 1001, "answer")
    assert not isinstance(caught.value, CommentGone) and fake.calls("PATCH") == []


def test_delete_comment_is_fine_when_already_gone(client, fake):
    comment_id = client.create_comment(REPO, 1, "answer")
    client.delete_comment(REPO, comment_id)
    assert fake.issue_comments(REPO, 1) == []
    client.delete_comment(REPO, comment_id)
    assert [r.path for r in fake.calls("DELETE")] == [f"/repos/{REPO}/issues/comments/{comment_id}"] * 4


def test_remove_label_is_fine_when_the_label_is_not_there(client, fake):
    client.add_labels(REPO, 1, ("faq", "area/install", "good first issue"))
    client.remove_label(REPO, 1, "area/install")
    assert fake.labels[f"{REPO}#1"] == ["faq", "good first issue"]
    client.remove_label(REPO, 1, "area/install")
    assert [r.path for r in fake.calls("DELETE")] == [f"/repos/{REPO}/issues/1/labels/area%2Finstall"] * 2
    assert fake.remove_label(REPO, 1, "good first issue") and fake.labels[f"{REPO}#1"] == ["faq"]


def test_remove_label_on_a_missing_issue_is_an_error(client, fake):
    fake.fail("DELETE", "/labels/", 404, body={"message": "Not Found"}, times=9)
    with pytest.raises(GitHubError, match="404"):
        client.remove_label(REPO, 1, "faq")
    assert len(fake.calls("DELETE")) == 3


# -- dry run ----------------------------------------------------------------------------------------


def test_dry_run_records_and_logs_without_calling_github(settings, fake, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.github")
    store = Store(tmp_path / "dry.sqlite3")
    client = client_factory(dataclasses.replace(settings, github_token=None), store)(None)
    first, second = client.create_comment(REPO, 1, "answer"), client.create_comment(REPO, 2, "answer")
    assert 0 < first < second
    assert f"dry run: would comment on {REPO}#1 (dry-run record {first})" in caplog.text
    client.edit_comment(REPO, first, "answer, edited")
    client.remove_label(REPO, 1, "faq")
    client.delete_comment(REPO, first)
    assert [record[:2] for record in store.dry_run_records()] == [
        (f"{REPO}#1", "comment"), (f"{REPO}#2", "comment"), (f"{REPO}@{first}", "edit"),
        (f"{REPO}#1", "unlabel"), (f"{REPO}@{first}", "delete")]
    assert store.dry_run_records()[3][3] == ("faq",)
    assert "would remove label faq" in caplog.text and f"would delete comment {first}" in caplog.text
    assert fake.calls() == []


# -- reading: a repository's config file, its past issues --------------------------------------------

CONFIG = ".github/faq-bot.yml"


def test_a_file_is_read_from_the_default_branch_and_a_missing_one_costs_one_request(client, fake):
    assert client.get_file(REPO, CONFIG) is None
    assert len(fake.calls("GET")) == 1  # a 404 is an answer here, not a lag to retry
    fake.put_file(REPO, CONFIG, "version: 1\nmode: shadow  # 影子\n")
    assert client.get_file(REPO, CONFIG) == "version: 1\nmode: shadow  # 影子\n"
    assert fake.calls("GET")[-1].path == f"/repos/{REPO}/contents/{CONFIG}" and not fake.calls("GET")[-1].query


@pytest.mark.parametrize(("content", "message"), [
    ("x" * (1024 * 1024 + 1), "1048577 bytes: more than the contents API sends"),
    (b"\xff\xfe version", "not UTF-8 text"),
])
def test_a_file_that_cannot_be_read_as_text_says_why(client, fake, content, message):
    fake.put_file(REPO, CONFIG, content)
    with pytest.raises(UnreadableFile, match=message):
        client.get_file(REPO, CONFIG)


def test_issues_are_listed_a_page_a_request_pull_requests_marked_not_fetched(client, fake):
    for number in range(1, 151):
        fake.add_issue(REPO, number, f"issue {number}", "body", pull_request=number % 3 == 0,
                       created_at=f"2024-01-{1 + number // 24:02d}T{number % 24:02d}:00:00Z")
    first = client.list_issues(REPO, page=1)
    second = client.list_issues(REPO, page=2)
    assert [issue.number for issue in first.issues + second.issues] == list(range(1, 151))
    assert first.has_next and not second.has_next
    assert sum(issue.pull_request for issue in first.issues + second.issues) == 50
    assert first.issues[0].url == f"https://github.com/{REPO}/issues/1" and first.issues[2].pull_request
    assert len(fake.calls("GET")) == 2
    assert fake.calls("GET")[0].query == {"state": ["all"], "sort": ["created"], "direction": ["asc"],
                                           "per_page": ["100"], "page": ["1"]}


def test_every_request_is_counted_by_call_and_status(client, fake):
    before = metrics.GITHUB_REQUESTS.value(call="get_file", status="404")
    fake.fail("GET", "/contents/", 502)
    client.get_file(REPO, CONFIG)
    assert metrics.GITHUB_REQUESTS.value(call="get_file", status="404") == before + 1
    assert metrics.GITHUB_REQUESTS.value(call="get_file", status="502") >= 1


def test_server_errors_that_outlast_the_retries_are_unavailable_not_final(client, fake):
    fake.fail("GET", "/contents/", 503, times=10)
    with pytest.raises(Unavailable):
        client.get_file(REPO, CONFIG)
