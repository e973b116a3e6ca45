"""`.github/faq-bot.yml`: the strict schema, and errors that name the file, the line, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config_source import rule_vocabulary
from bot.repo_config import DEFAULT, MAX_CONFIG_BYTES, ConfigError, Mute, Skip, load_config
from bot.rules import load_rules
from bot.settings import DEFAULT_RULES

ROOT = Path(__file__).resolve().parent.parent
IDS, LABELS = rule_vocabulary(load_rules(DEFAULT_RULES))
FILE = ".github/faq-bot.yml"


def load(text: str):
    return load_config(text, FILE, IDS, LABELS)


def error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return str(caught.value)


def test_the_example_config_loads_with_every_key():
    config = load((ROOT / "examples" / "faq-bot.yml").read_text())
    assert config.mode == "shadow" and config.disable == ("segfault",) and config.enable is None
    assert dict(config.labels) == {"faq": "answered-by-faq-bot", "installation": None}
    assert (config.language, config.ask_for_environment, config.min_score) == ("en", True, 90.0)
    assert config.skip == Skip(("wontfix",), ("dependabot",), ("MEMBER",))
    assert config.mute == Mute(0.5, 4)
    assert not config.rule_enabled("segfault") and config.rule_enabled("nms-no-gpu")
    assert config.label("faq") == "answered-by-faq-bot" and config.label("installation") is None
    assert config.label("usage") == "usage"


def test_a_config_with_only_a_version_is_the_defaults():
    assert load("version: 1\n") == DEFAULT


@pytest.mark.parametrize("written", ["off", "'off'", '"off"', "OFF", "Off"])
def test_mode_off_works_unquoted_though_yaml_reads_it_as_false(written):
    assert load(f"version: 1\nmode: {written}\n").mode == "off"


def test_enable_means_only_those_rules():
    config = load("version: 1\nrules: {enable: [segfault]}\n")
    assert config.rule_enabled("segfault") and not config.rule_enabled("nms-no-gpu")


@pytest.mark.parametrize(("text", "expected"), [
    ("version: 1\nmode: maybe\n", f"{FILE}:2: key 'mode': expected one of on, off, shadow, got 'maybe'"),
    ("version: 1\nmode: yes\n", f"{FILE}:2: key 'mode': expected one of on, off, shadow, got True"),
    ("version: 1\nmodes: on\n", f"{FILE}:2: key 'modes': unknown key (allowed: version, mode, rules"),
    ("mode: on\n", f"{FILE}:1: missing key 'version'"),
    ("version: 2\n", f"{FILE}:1: key 'version': expected 1"),
    ("version: '1'\n", f"{FILE}:1: key 'version': expected 1"),
    ("version: 1\nmin_score: high\n", f"{FILE}:2: key 'min_score': expected a number from 80 to 100, got 'high'"),
    ("version: 1\nmin_score: 50\n", "key 'min_score': expected a number from 80 to 100, got 50"),
    ("version: 1\nask_for_environment: maybe\n", "key 'ask_for_environment': expected true or false, got 'maybe'"),
    ("version: 1\nlanguage: fr\n", "key 'language': expected one of en, zh, got 'fr'"),
    ("version: 1\nrules: {disable: [segfalt]}\n", "key 'rules.disable[0]': unknown rule 'segfalt' (known: "),
    ("version: 1\nrules: {disable: segfault}\n", "key 'rules.disable': expected a list of rule ids, got 'segfault'"),
    ("version: 1\nrules: {enable: [segfault], disable: []}\n", "key 'rules': expected exactly one of enable"),
    ("version: 1\nrules: {enable: []}\n", "key 'rules.enable': expected at least one rule id"),
    ("version: 1\nrules: [segfault]\n", "key 'rules': expected a mapping with the keys enable, disable, got a list"),
    ("version: 1\nlabels: {faq: 'a,b'}\n", "key 'labels.faq': expected a label GitHub accepts"),
    ("version: 1\nlabels: {faq: 3}\n", "key 'labels.faq': expected a label name or null, got 3"),
    ("version: 1\nlabels: {bug: x}\n", "key 'labels.bug': no rule adds this label (rule labels: faq, installation"),
    ("version: 1\nskip: {authors: dependabot}\n", "key 'skip.authors': expected a list of logins, got 'dependabot'"),
    ("version: 1\nskip: {author_associations: [member]}\n",
     "key 'skip.author_associations[0]': expected one of COLLABORATOR"),
    ("version: 1\nskip: {people: [a]}\n", "key 'skip.people': unknown key (allowed: labels, authors"),
    ("version: 1\nmute: {withdrawn_share: 2}\n", "key 'mute.withdrawn_share': expected a number from 0 to 1, got 2"),
    ("version: 1\nmute: {min_answers: 0}\n", "key 'mute.min_answers': expected a whole number of at least 1"),
    ("version: 1\nversion: 1\n", f"{FILE}:2: key 'version': given twice"),
    ("- version: 1\n", f"{FILE}:1: expected a mapping"),
])
def test_a_wrong_key_or_type_names_the_file_line_key_and_what_was_expected(text, expected):
    assert expected in error(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("version: 1\nrules: {disable: [\n", f"{FILE}:3: not valid YAML"),
    ("version: 1\n mode: on\n", f"{FILE}:2: not valid YAML: mapping values are not allowed here"),
    ("version: 1\n---\nmode: on\n", "not valid YAML"),
    ("", f"{FILE}: the file is empty; it needs at least `version: 1`"),
    ("version: 1\nx: &a [1]\ny: *a\n", "anchors and aliases"),
])
def test_malformed_yaml_is_named(text, expected):
    assert expected in error(text)


def test_a_config_of_a_megabyte_is_refused_before_it_is_parsed():
    message = error("version: 1\n# " + "x" * (1024 * 1024) + "\n")
    assert message.startswith(f"{FILE}: the file is 1,048,590 bytes; a config may be at most {MAX_CONFIG_BYTES:,}")


def test_without_the_rule_vocabulary_ids_and_labels_are_not_checked():
    assert load_config("version: 1\nrules: {disable: [future-rule]}\n", FILE).disable == ("future-rule",)
