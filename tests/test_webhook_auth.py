"""Authenticating deliveries (X-Hub-Signature-256) and the settings that feed it."""


import pytest

from bot.settings import Settings, SettingsError
from bot.webhook_auth import WebhookAuthError, sign_delivery, verify_delivery
from tests.fakegithub import WEBHOOKS

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


def test_settings_split_comma_separated_secrets_and_mask_them_in_repr():
    settings = Settings.from_env(
        {"GITHUB_WEBHOOK_SECRET": " s3cret-one, s3cret-two ,", "GITHUB_TOKEN": "ghp_topsecret", "GITHUB_APP_PRIVATE_KEY": "PEM"}
    )
    assert settings.webhook_secrets == ("s3cret-one", "s3cret-two")
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
