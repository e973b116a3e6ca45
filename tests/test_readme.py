"""The README documents every command and every config key, and its example config is valid."""

import argparse
import re
from pathlib import Path

from bot.__main__ import build_parser
from bot.repo_config import _KEYS, load_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _commands(sub, f"{prefix}{name} ")
                found += nested or [f"{prefix}{name}"]
    return found


def test_every_command_is_in_the_readme():
    missing = [command for command in _commands(build_parser()) if f"python -m bot {command}" not in README]
    assert not missing


def test_the_readmes_config_example_is_valid_names_every_key_and_matches_the_example_file():
    section = README.split("### Per-repository configuration", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)[1]
    config = load_config(example, "README.md")
    assert config == load_config((ROOT / "examples" / "faq-bot.yml").read_text(), "examples/faq-bot.yml")
    table = section.split("| key |", 1)[1].split("\n\n", 1)[0]
    for key in _KEYS:
        assert re.search(rf"^{key}:", example, re.M) and f"| `{key}` |" in table, key
