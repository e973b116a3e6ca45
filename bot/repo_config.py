"""A repository's own settings for the bot, `.github/faq-bot.yml`: its strict schema, validated (pure).

`load_config(text, source)` turns the file's text into a RepoConfig, or raises ConfigError naming the
file, the line, the key and what was expected. Nothing here reads GitHub: bot/config_source.py
fetches the file, caches it and keeps the last good config when a new one is broken.

```yaml
version: 1                     # required: the schema this file is written for
mode: on                       # on | off | shadow (triage and record, post nothing); `off` unquoted works
rules: {disable: [segfault]}   # or {enable: [...]}: only those
labels: {faq: answered-by-faq-bot, installation: null}   # rename a rule label, or drop it (null)
language: en                   # the reply's language when the reporter's cannot be detected
ask_for_environment: true      # ask for collect_env when an answer depends on it
min_score: 90                  # drop matches scoring lower (80..100; a regex match scores 100)
skip: {labels: [wontfix], authors: [dependabot], author_associations: [MEMBER]}
mute: {withdrawn_share: 0.5, min_answers: 4}   # mute a rule withdrawn (`/faq off`) more often than this
```
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import yaml

CONFIG_PATH = ".github/faq-bot.yml"
MAX_CONFIG_BYTES = 64 * 1024  # a real config is a few hundred bytes; more is a mistake, or an attack
VERSION = 1
ON, OFF, SHADOW = "on", "off", "shadow"
MODES = (ON, OFF, SHADOW)
LANGUAGES = ("en", "zh")
# GitHub's author_association values (the REST API's `author-association` schema).
ASSOCIATIONS = ("COLLABORATOR", "CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN", "MEMBER",
                "NONE", "OWNER")
MIN_SCORE, MAX_SCORE = 80, 100  # a rule's own fuzzy threshold is at least 80: a lower bar would change nothing
MAX_LABEL_CHARS = 50  # as bot/rules.py: GitHub refuses longer label names
_KEYS = ("version", "mode", "rules", "labels", "language", "ask_for_environment", "min_score", "skip", "mute")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file, line, key and what was expected."""


@dataclass(frozen=True)
class Skip:
    """Issues the bot leaves alone: by label, by author login, by the author's association."""

    labels: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    author_associations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mute:
    """A rule withdrawn with `/faq off` on more than ``withdrawn_share`` of its answers (once it has
    ``min_answers``) is muted in the repository until a maintainer runs `/faq unmute RULE-ID`."""

    withdrawn_share: float = 0.5
    min_answers: int = 4


@dataclass(frozen=True)
class RepoConfig:
    mode: str = ON
    enable: tuple[str, ...] | None = None  # only these rules; None: every rule but ``disable``
    disable: tuple[str, ...] = ()
    labels: tuple[tuple[str, str | None], ...] = ()  # (rule label, its name here or None: not added)
    language: str = "en"
    ask_for_environment: bool = True
    min_score: float = MIN_SCORE
    skip: Skip = field(default_factory=Skip)
    mute: Mute = field(default_factory=Mute)

    def rule_enabled(self, rule_id: str) -> bool:
        if self.enable is not None:
            return rule_id in self.enable
        return rule_id not in self.disable

    def label(self, name: str) -> str | None:
        """What a rule's label is called in this repository; None when it is not added here."""
        return dict(self.labels).get(name, name)


DEFAULT = RepoConfig()


def load_config(text: str, source: str, rule_ids: Collection[str] | None = None,
                rule_labels: Collection[str] | None = None) -> RepoConfig:
    """The config ``text`` (read from ``source``, a path for messages) says; ConfigError otherwise.

    With ``rule_ids`` and ``rule_labels`` (the rules this bot has), rule ids and label names are
    checked against them too: a typo must not silently leave a rule on.
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: the file is {size:,} bytes; a config may be at most {MAX_CONFIG_BYTES:,} bytes")
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise ConfigError(f"{source}: YAML anchors and aliases (&name, *name) are not allowed in a config")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{line}: not valid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from None
    if node is None:
        raise ConfigError(f"{source}: the file is empty; it needs at least `version: {VERSION}`")
    return _Reader(source, rule_ids, rule_labels).config(node)


class _Reader:
    """Walks the YAML nodes, so that every error can say the line and the key."""

    def __init__(self, source: str, rule_ids: Collection[str] | None, rule_labels: Collection[str] | None):
        self.source, self.rule_ids, self.rule_labels = source, rule_ids, rule_labels
        self._constructor = yaml.SafeLoader("")

    def error(self, node: yaml.Node, key: str, message: str) -> ConfigError:
        where = f" key '{key}':" if key else ""
        return ConfigError(f"{self.source}:{node.start_mark.line + 1}:{where} {message}")

    def expected(self, node: yaml.Node, key: str, what: str) -> ConfigError:
        return self.error(node, key, f"expected {what}, got {self._shown(node)}")

    def _shown(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return repr(self.value(node)) if node.tag != "tag:yaml.org,2002:str" else repr(node.value)

    def value(self, node: yaml.Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node, key: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.expected(node, key, f"a mapping with the keys {', '.join(allowed)}")
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
            full = f"{key}.{name}" if key else name
            if name not in allowed:
                raise self.error(key_node, full, f"unknown key (allowed: {', '.join(allowed)})")
            if name in found:
                raise self.error(key_node, full, "given twice")
            found[name] = value_node
        return found

    def texts(self, node: yaml.Node, key: str, what: str = "text") -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.expected(node, key, f"a list of {what}s")
        items = []
        for index, item in enumerate(node.value):
            items.append(self.text(item, f"{key}[{index}]", what))
        return tuple(items)

    def text(self, node: yaml.Node, key: str, what: str = "text") -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
            raise self.expected(node, key, what)
        return node.value

    def config(self, node: yaml.Node) -> RepoConfig:
        keys = self.mapping(node, "", _KEYS)
        if "version" not in keys:
            raise ConfigError(f"{self.source}:1: missing key 'version': expected `version: {VERSION}` as the first line")
        version = self.value(keys["version"]) if isinstance(keys["version"], yaml.ScalarNode) else None
        if version != VERSION or isinstance(version, bool):
            raise self.expected(keys["version"], "version", f"{VERSION} (the config schema this faq-bot reads)")
        values: dict[str, Any] = {}
        if "mode" in keys:
            values["mode"] = self.mode(keys["mode"])
        if "rules" in keys:
            values["enable"], values["disable"] = self.rules(keys["rules"])
        if "labels" in keys:
            values["labels"] = self.labels(keys["labels"])
        if "language" in keys:
            values["language"] = self.choice(keys["language"], "language", LANGUAGES)
        if "ask_for_environment" in keys:
            values["ask_for_environment"] = self.boolean(keys["ask_for_environment"], "ask_for_environment")
        if "min_score" in keys:
            values["min_score"] = self.number(keys["min_score"], "min_score", MIN_SCORE, MAX_SCORE)
        if "skip" in keys:
            values["skip"] = self.skip(keys["skip"])
        if "mute" in keys:
            values["mute"] = self.mute(keys["mute"])
        return RepoConfig(**values)

    def mode(self, node: yaml.Node) -> str:
        # YAML 1.1 reads an unquoted `off` or `on` as a boolean: the text as written is what counts.
        raw = node.value.lower() if isinstance(node, yaml.ScalarNode) else None
        if raw not in MODES:
            raise self.expected(node, "mode", f"one of {', '.join(MODES)}")
        return raw

    def choice(self, node: yaml.Node, key: str, allowed: tuple[str, ...]) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.value not in allowed:
            raise self.expected(node, key, f"one of {', '.join(allowed)}")
        return node.value

    def boolean(self, node: yaml.Node, key: str) -> bool:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            raise self.expected(node, key, "true or false")
        return value

    def number(self, node: yaml.Node, key: str, low: float, high: float) -> float:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise self.expected(node, key, f"a number from {low:g} to {high:g}")
        return float(value)

    def rules(self, node: yaml.Node) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        keys = self.mapping(node, "rules", ("enable", "disable"))
        if len(keys) != 1:
            raise self.expected(node, "rules", "exactly one of enable (only those rules) or disable")
        (name, listed), = keys.items()
        ids = self.texts(listed, f"rules.{name}", "rule id")
        for index, rule_id in enumerate(ids):
            if self.rule_ids is not None and rule_id not in self.rule_ids:
                raise self.error(listed.value[index], f"rules.{name}[{index}]",
                                 f"unknown rule {rule_id!r} (known: {', '.join(sorted(self.rule_ids))})")
        if name == "enable" and not ids:
            raise self.error(listed, "rules.enable", "expected at least one rule id (to switch the bot off, "
                                                     "use `mode: off`)")
        return (ids, ()) if name == "enable" else (None, ids)

    def labels(self, node: yaml.Node) -> tuple[tuple[str, str | None], ...]:
        if not isinstance(node, yaml.MappingNode):
            raise self.expected(node, "labels", "a mapping of a rule's label to its name here (or null)")
        renamed: dict[str, str | None] = {}
        for key_node, value_node in node.value:
            name = self.text(key_node, "labels", "a label name")
            key = f"labels.{name}"
            if name in renamed:
                raise self.error(key_node, key, "given twice")
            if self.rule_labels is not None and name not in self.rule_labels:
                raise self.error(key_node, key, f"no rule adds this label (rule labels: "
                                                f"{', '.join(sorted(self.rule_labels))})")
            if value_node.tag == "tag:yaml.org,2002:null":
                renamed[name] = None
                continue
            label = self.text(value_node, key, "a label name or null")
            if label != label.strip() or len(label) > MAX_LABEL_CHARS or "," in label:
                raise self.expected(value_node, key, f"a label GitHub accepts (at most {MAX_LABEL_CHARS} "
                                                     "characters, no comma, no spaces at either end)")
            renamed[name] = label
        return tuple(renamed.items())

    def skip(self, node: yaml.Node) -> Skip:
        keys = self.mapping(node, "skip", ("labels", "authors", "author_associations"))
        associations = self.texts(keys["author_associations"], "skip.author_associations", "association") \
            if "author_associations" in keys else ()
        for index, association in enumerate(associations):
            if association not in ASSOCIATIONS:
                raise self.expected(keys["author_associations"].value[index], f"skip.author_associations[{index}]",
                                    f"one of {', '.join(ASSOCIATIONS)}")
        return Skip(
            labels=self.texts(keys["labels"], "skip.labels", "label") if "labels" in keys else (),
            authors=self.texts(keys["authors"], "skip.authors", "login") if "authors" in keys else (),
            author_associations=associations,
        )

    def mute(self, node: yaml.Node) -> Mute:
        keys = self.mapping(node, "mute", ("withdrawn_share", "min_answers"))
        mute = Mute()
        share = self.number(keys["withdrawn_share"], "mute.withdrawn_share", 0, 1) if "withdrawn_share" in keys \
            else mute.withdrawn_share
        answers = mute.min_answers
        if "min_answers" in keys:
            answers = self.value(keys["min_answers"]) if isinstance(keys["min_answers"], yaml.ScalarNode) else None
            if not isinstance(answers, int) or isinstance(answers, bool) or answers < 1:
                raise self.expected(keys["min_answers"], "mute.min_answers", "a whole number of at least 1")
        return Mute(share, answers)
