"""Authenticating deliveries (X-Hub-Signature-256) and the settings that feed it."""

import dataclasses
import json

import pytest

from bot.app import create_app
from bot.settings import Settings, SettingsError
from bot.webhook_auth import WebhookAuthError, sign_delivery, verify_delivery
from tests.fakegithub import WEBHOOKS, issue_payload

DOCS_SECRET = "It's a Secret to Everybody"
DOCS_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_documented_test_vector():
    assert sign_delivery(DOCS_SECRET, b"Hello, World!") == DOCS_SIGNATURE
    verify_delivery([DOCS_SECRET], b"Hello, World!", DOCS_SIGNATURE)


def test_header_of_a_stored_example_payload():
    body = (WEBHOOKS / "issues.opened.json").read_bytes()
    verify_delivery([DOCS_SECRET], body, "sha256=875f5b04149debbe128e0521dadfa4afc90d192439111d59096790feb11b64d5")


@pytest.mark.parametrize("header", [None, "", "sha1=abc", "sha256=00", DOCS_SIGNATURE.upper(), "sha256=ü"])
def test_missing_malformed_or_wrong_header_is_refused(header):
    with pytest.raises(WebhookAuthError):
        verify_delivery([DOCS_SECRET], b"Hello, World!", header)


def test_tampered_body_is_refused():
    with pytest.raises(WebhookAuthError):
        verify_delivery([DOCS_SECRET], b"Hello, World?", DOCS_SIGNATURE)


def test_any_of_several_secrets_is_accepted_while_rotating():
    verify_delivery(["new secret", DOCS_SECRET], b"Hello, World!", DOCS_SIGNATURE)
    with pytest.raises(WebhookAuthError):
        verify_delivery(["new secret", "other"], b"Hello, World!", DOCS_SIGNATURE)


def test_no_secrets_accepts_nothing():
    with pytest.raises(WebhookAuthError):
        verify_delivery([], b"Hello, World!", DOCS_SIGNATURE)


BODY = b'{"action": "opened"}'


def accepts(env: dict[str, str], signed_with: str) -> bool:
    """Whether the service configured by ``env`` takes a body signed with ``signed_with``."""
    try:
        verify_delivery(Settings.from_env(env).webhook_secrets, BODY, sign_delivery(signed_with, BODY))
    except WebhookAuthError:
        return False
    return True


def test_a_secret_with_commas_is_one_secret_and_its_fragments_are_refused():
    env = {"GITHUB_WEBHOOK_SECRET": "a,b,c"}
    assert Settings.from_env(env).webhook_secrets == ("a,b,c",)
    assert accepts(env, "a,b,c")
    for fragment in ("a", "b", "c", "a,b", ""):
        assert not accepts(env, fragment), fragment


def test_the_web_front_refuses_a_delivery_signed_with_a_fragment_of_a_comma_secret(settings):
    secrets = Settings.from_env({"GITHUB_WEBHOOK_SECRET": "a,b,c"}).webhook_secrets
    client = create_app(dataclasses.replace(settings, webhook_secrets=secrets), start_worker=False).test_client()
    body = json.dumps(issue_payload()).encode()

    def post(secret: str, delivery: str) -> int:
        headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery,
                   "X-Hub-Signature-256": sign_delivery(secret, body)}
        return client.post("/webhook", data=body, content_type="application/json", headers=headers).status_code

    assert post("a", "forged") == 401
    assert post("a,b,c", "real") == 202


def test_a_secret_is_taken_verbatim_but_for_one_trailing_newline_from_a_secrets_file():
    assert Settings.from_env({"GITHUB_WEBHOOK_SECRET": " s3cret, "}).webhook_secrets == (" s3cret, ",)
    assert not accepts({"GITHUB_WEBHOOK_SECRET": " s3cret, "}, "s3cret")
    assert Settings.from_env({"GITHUB_WEBHOOK_SECRET": "s3cret\n"}).webhook_secrets == ("s3cret",)
    assert Settings.from_env({"GITHUB_WEBHOOK_SECRET": "s3cret\r\n"}).webhook_secrets == ("s3cret",)
    assert Settings.from_env({"GITHUB_WEBHOOK_SECRET": "\n"}).webhook_secrets == ()


def test_rotation_accepts_the_current_and_the_previous_secret_and_nothing_else():
    env = {"GITHUB_WEBHOOK_SECRET": "new,secret", "GITHUB_WEBHOOK_SECRET_PREVIOUS": "old secret"}
    assert Settings.from_env(env).webhook_secrets == ("new,secret", "old secret")
    assert accepts(env, "new,secret") and accepts(env, "old secret")
    assert not accepts(env, "a third secret") and not accepts(env, "new")


def test_a_previous_secret_without_a_current_one_is_refused():
    with pytest.raises(SettingsError, match="GITHUB_WEBHOOK_SECRET_PREVIOUS"):
        Settings.from_env({"GITHUB_WEBHOOK_SECRET_PREVIOUS": "old"})


def test_settings_repr_masks_both_webhook_secrets_and_the_credentials():
    settings = Settings.from_env({
        "GITHUB_WEBHOOK_SECRET": "s3cret-new", "GITHUB_WEBHOOK_SECRET_PREVIOUS": "s3cret-old",
        "GITHUB_TOKEN": "ghp_topsecret", "GITHUB_APP_PRIVATE_KEY": "PEM",
    })
    shown = repr(settings)
    assert "s3cret" not in shown and "ghp_topsecret" not in shown and "PEM" not in shown
    assert "***" in shown


def test_settings_defaults_are_safe():
    settings = Settings.from_env({})
    assert settings.dry_run and settings.write_interval == 1.0 and settings.port == 8000
    assert settings.api_url == "https://api.github.com" and settings.db_path == "faqbot.sqlite3"
    with pytest.raises(SettingsError, match="GITHUB_WEBHOOK_SECRET"):
        settings.check_can_serve()


def test_insecure_flag_allows_serving_without_secret():
    Settings.from_env({"FAQBOT_INSECURE_NO_SIGNATURE": "1"}).check_can_serve()


def test_bad_numbers_name_the_variable():
    with pytest.raises(SettingsError, match="FAQBOT_WRITE_INTERVAL"):
        Settings.from_env({"FAQBOT_WRITE_INTERVAL": "fast"})


def test_app_id_without_key_is_refused():
    settings = Settings.from_env({"GITHUB_APP_ID": "1", "GITHUB_WEBHOOK_SECRET": "s"})
    with pytest.raises(SettingsError, match="GITHUB_APP_PRIVATE_KEY"):
        settings.check_can_serve()
