"""The FAQ rule schema: load the YAML files of ``rules/``, validate them, compile their patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from bot import findings as findings_module
from bot import regex_safety
from bot.version import Version, VersionRange, VersionRangeError, parse_range, parse_version

# The diagnoses a rule may declare in ``diagnoses:``: the schema's vocabulary. bot/diagnosis.py
# implements exactly these (a test holds the two together), so a rule names them, not Python ids.
WINDOWS_CASE_CONFIRMED = "windows-case-confirmed"
DIAGNOSIS_IDS: tuple[str, ...] = (
    "mmcv-installed-twice", "mmcv-without-ops", "mmcv-mmdet-incompatible", "cuda-version-mismatch",
    "gpu-not-in-pytorch-build", "cuda-unavailable", "mmcv-built-without-cuda", "gcc-version", WINDOWS_CASE_CONFIRMED,
)

# Fuzzy phrases shorter than this match too much of ordinary text to be evidence.
MIN_PHRASE_CHARS = 15
DEFAULT_PHRASE_SCORE = 90
LANGUAGES = ("en", "zh")

# Environment fields a rule may name in ``conditions``: schema key -> Environment attribute.
VERSION_CONDITIONS = {
    "pytorch": "pytorch",
    "cuda": "pytorch_cuda",
    "mmcv": "mmcv",
    "mmdet": "mmdet",
    "gcc": "gcc",
}
PLATFORMS = ("linux", "win32", "darwin")
# GitHub refuses a longer label name: creating one answers 422 "name is too long (maximum is 50
# characters)". GitHub's REST docs do not state the number. Source: that validation message, as
# a published test of `gh label create` with 50 and 51 characters shows it (found by searching
# "GitHub label name maximum length 50"); other projects report the same undocumented limit.
# A comma is refused too: the add-labels API takes a JSON list and splits on nothing, but
# `gh issue edit --add-label` and the `label:a,b` search qualifier read a comma as a separator.
MAX_LABEL_CHARS = 50

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
# Words `/faq WORD` takes as subcommands (bot/handlers/faq_command.py; a test holds the two
# together): a rule of that id could never be asked for with `/faq RULE-ID`.
RESERVED_IDS = frozenset({"help", "off", "unmute"})
_TOP_KEYS = {
    "id", "title", "faq", "labels", "priority", "supersedes", "patterns", "context", "refuse",
    "conditions", "diagnoses", "environment_from", "windows_case", "answer", "steps", "examples",
}
# What the bot asks the reporter to paste when an answer needs their environment: their project's
# collect_env, or pip's list where the error breaks collect_env itself (it imports mmcv.ops).
COLLECT_ENV, PIP_LIST = "collect_env", "pip_list"
# The ``{{name}}`` placeholders a rule's answer and steps may use; bot/answer.py fills each one
# for the reporter (their versions, package, repository).
PLACEHOLDERS = {
    # commands, each in its own code span
    "install_mmcv": "installing the MMCV with a prebuilt wheel for their PyTorch and CUDA (or why there is none)",
    "uninstall_mmcv": "the pip uninstall of the MMCV package(s) they have",
    "build_mmcv": "building the MMCV they need from source (PyPI's source package)",
    "install_mmengine": "installing an MMEngine in the range their error printed",
    "install_mmdet": "installing an MMDetection in the range their error printed (MMOCR's, MMRotate's check)",
    "collect_env": "their project's collect_env command",
    # words
    "mmcv_package": "mmcv-full (MMCV 1.x) or mmcv (MMCV 2.x)",
    "needed_mmcv_package": "mmcv_package as their code needs it, told without their installed MMCV, which a"
                           " version mismatch puts in doubt",
    "package": "their project's import package (mmdet, mmseg, ...)",
    "project": "their project's name (MMDetection, MMSegmentation, ...), from the same reading as package",
    "scope": "the registry scope of their error, else their project's package",
    "registry_class": "the class their error says is not in the registry (in words when it names none)",
    "registry_type": "the `type=` their config gives that class",
    "registry_owner": "the package a dotted class name asks for (mmpretrain of mmpretrain.ConvNeXt)",
    "owner_project": "that package's project name (MMPretrain)",
    "registry_decorator": "the decorator that registers that class, by the registry their error names",
    "registry_init": "the __init__.py that imports such classes in their package, by the same registry",
    "arch_list": "their GPUs' compute capabilities (TORCH_CUDA_ARCH_LIST), each the newest of its major the CUDA at"
                 " hand builds",
    "gpu": "their GPUs with their compute capabilities",
    "gpu_cuda": "the first CUDA their GPU needs (gpu: newer-cuda), or the last that builds for it (gpu: older-cuda)",
    "cuda": "the CUDA at hand: nvcc's, else their PyTorch's",
    "torch_series": "their PyTorch's major.minor",
    "torch_gpu": "the GPU PyTorch's warning names, with its sm_XY and compute capability",
    "torch_archs": "the architectures PyTorch's warning says its build has",
    "arch_cuda": "the first CUDA that builds for that GPU (torch_arch: newer), or the last (torch_arch: older)",
    "msvc_versions": "the Visual Studio versions their CUDA's refusal names (\"2012, 2013, 2015 and 2017\"), from the"
                     " quoted error; empty when it is cut before them",
    "ops_package": "whose compiled ops their error runs through: MMDetection (before 2.3, its own mmdet/ops) or"
                   " MMDetection3D (before 1.0), else MMCV",
    "ops_folder": "the package folder of those own ops (mmdet, mmdet3d), the repository's top folder beside setup.py",
    "ops_before": "the release that stopped building them (2.3, 1.0)",
    "series_mmcv1": "their project's releases for MMCV 1.x, in parentheses (\" (MMPose before 1.0.0)\"); empty"
                    " when the project or its first MMCV 2.x release is unknown",
    "series_mmcv2": "the same for MMCV 2.x (\" (MMPose 1.0.0 and later)\")",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# What a step's ``when`` may ask of the reporter, and the values each condition takes.
WHEN = {
    "mmcv": ("1", "2", "unknown"),  # the MMCV major they need
    # the same told by their other packages and traceback alone (MMDetection's major, MMEngine), the
    # installed MMCV left out: what a version mismatch does not put in doubt
    "others_need": ("1", "2", "unknown"),
    # a reported GPU whose compute capability the table knows ("known"), built for with the CUDA at
    # hand; or one that CUDA cannot build for: too new for it ("newer-cuda"), or dropped by it ("older-cuda")
    "gpu": ("known", "unknown", "newer-cuda", "older-cuda"),
    "environment": ("given", "missing"),  # collect_env (or any version) in the issue
    # the versions their project accepts, printed by their error (or from the table): of MMCV or MMEngine
    "range": ("mmcv", "mmengine", "mmdet", "unknown"),
    # whose compiled CUDA code the error runs through: MMCV's ops, MMDetection's own (before 2.3), or
    # PyTorch itself (its build lacks the GPU's architecture)
    "ops": ("mmcv", "mmdet", "mmdet3d", "torch"),
    # the GPU against the architectures PyTorch's warning says its build has (read whole, the
    # GPU's CUDA in the table): newer than all, older than all, or neither told
    "torch_arch": ("newer", "older", "unknown"),
    "prebuilt": ("available", "none"),
    # whose class a registry error asks for: "another" OpenMMLab package's, by a dotted name under
    # another scope ("mmpretrain.ConvNeXt is not in the mmdet::model registry")
    "registry_owner": ("another", "own"),  # whether OpenMMLab publishes MMCV wheels for their machine (ARM Linux: none)
    "error": None,  # a regex, searched in the quoted error line
    # a diagnosis of the rule's that the reporter's environment cannot settle: the step is how they
    # check it themselves ("use GCC 5.4 or newer" only while their GCC is unknown)
    "unsettled": DIAGNOSIS_IDS,
}
_REQUIRED_KEYS = {"id", "title", "faq", "labels", "patterns", "answer", "examples"}
# Keys older rule files may still use: refused with the new name, not as merely unknown.
# ("signature" now means only an error line found in an issue, bot/issue.py.)
_RENAMED_KEYS = {"signatures": "patterns"}
# Keys older rule files may still hold that the bot no longer reads, and why.
_DROPPED_KEYS = {
    "asks_environment": "what the bot will check is now said per diagnosis (bot/answer.py, the 'check-…' "
                        "texts), naming only the checks the issue leaves open: delete the key",
}


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file, line, rule and field."""


@dataclass(frozen=True)
class RegexPattern:
    compiled: re.Pattern[str]
    anchors: tuple[str, ...]  # lowercase literals, one of which any match must contain
    keywords: tuple[str, ...] = ()  # whole words, one of which any match contains; () if none known
    # A *described* error (put in words, not pasted) is weaker evidence: it counts only when one of
    # its own context regexes also occurs (the step that fails, the library involved).
    context: tuple[RegexPattern, ...] = ()
    described: bool = False
    single_line: bool = False  # no match spans a newline: searched only on the lines holding an anchor
    also: tuple[tuple[str, ...], ...] = ()  # literal groups of the pattern's other required parts
    # literal -> (starts a word, ends a word), for the literals the pattern's \b bound
    bounds: Mapping[str, tuple[bool, bool]] = field(default_factory=dict)
    reach: int | None = None  # the most characters a search attempt reads from its start; None: unbounded

    @property
    def source(self) -> str:
        return self.compiled.pattern


@dataclass(frozen=True)
class FindingPattern:
    """What a reader of bot/findings.py found, e.g. an undefined symbol that belongs to PyTorch."""

    kind: str
    values: frozenset[str]

    @property
    def keywords(self) -> tuple[str, ...]:
        return (FINDING_WORD + self.kind,)

    @property
    def source(self) -> str:
        return f"finding: {self.kind} is {', '.join(sorted(self.values))}"


# The matcher adds "finding:<kind>" to an issue's words for each kind found, so the keyword index
# offers a rule with a finding pattern exactly when its kind was found.
FINDING_WORD = "finding:"


@dataclass(frozen=True)
class PhrasePattern:
    phrase: str
    min_score: float
    anchors: tuple[str, ...]  # the phrase's longest words: a text holding none is not scored

    @property
    def keywords(self) -> tuple[str, ...]:
        return self.anchors


WORD = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Conditions:
    platforms: tuple[str, ...] = ()
    versions: tuple[tuple[str, VersionRange], ...] = ()  # (Environment attribute, range)


@dataclass(frozen=True)
class WindowsCase:
    """The exact case a Windows build entry of the FAQ names, for ``windows-case-confirmed``."""

    pytorch: Version | None = None  # the PyTorch release the entry names
    nvcc: tuple[int, int] | None = None  # the CUDA (major, minor) of nvcc the entry names


@dataclass(frozen=True)
class Step:
    """One step of an answer, shown to the reporters it applies to (``when``), in both languages."""

    text: dict[str, str]
    # condition -> the value it must have (a regex for "error"), or the values it may have
    when: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Rule:
    id: str
    title: dict[str, str]
    faq: str
    labels: tuple[str, ...]
    regexes: tuple[RegexPattern, ...]
    phrases: tuple[PhrasePattern, ...]
    answer: dict[str, str]
    examples_match: tuple[str, ...]
    examples_no_match: tuple[str, ...]
    context: tuple[RegexPattern, ...] = ()
    # A line matching one of these shows the issue is not the rule's case, whatever matched
    # (Python's "No module named 'mmcv.ops'; 'mmcv' is not a package": the reporter's own mmcv.py)
    refuse: tuple[RegexPattern, ...] = ()
    conditions: Conditions = field(default_factory=Conditions)
    diagnoses: tuple[str, ...] = ()  # ids of the diagnoses (bot/diagnosis.py) that speak to this rule
    environment_from: str = COLLECT_ENV  # what to ask for: COLLECT_ENV or PIP_LIST
    windows_case: WindowsCase | None = None
    steps: tuple[Step, ...] = ()
    priority: int = 0
    supersedes: tuple[str, ...] = ()
    path: str = ""
    findings: tuple[FindingPattern, ...] = ()
    described: tuple[RegexPattern, ...] = ()
    # Every anchor of the regex and described patterns when each has some, else (): a text holding
    # none of them matches none of those patterns, so they need not be tried one by one.
    regex_anchors: tuple[str, ...] = field(init=False, default=())
    regex_bounds: Mapping[str, tuple[bool, bool]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        patterns = (*self.regexes, *self.described)
        anchors = _union_of_anchors(patterns)
        bounds: dict[str, tuple[bool, bool]] = {}
        for anchor in anchors:  # where patterns share a literal with other edges, the weaker ones
            edges = [pattern.bounds.get(anchor, (False, False)) for pattern in patterns if anchor in pattern.anchors]
            left, right = all(edge[0] for edge in edges), all(edge[1] for edge in edges)
            if left or right:
                bounds[anchor] = (left, right)
        object.__setattr__(self, "regex_anchors", anchors)
        object.__setattr__(self, "regex_bounds", bounds)


def _union_of_anchors(patterns: tuple[RegexPattern, ...]) -> tuple[str, ...]:
    if not patterns or any(not pattern.anchors for pattern in patterns):
        return ()
    return tuple(sorted({anchor for pattern in patterns for anchor in pattern.anchors}))


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    # keyword -> positions of the rules one of whose patterns needs it; a rule with a pattern that
    # has no keyword but literal anchors ("段错误") is tried when one of those occurs; a rule with a
    # pattern that has neither is tried on every issue.
    by_keyword: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    always: tuple[int, ...] = ()
    by_anchor: tuple[tuple[tuple[str, ...], int], ...] = ()

    def candidates(self, words: set[str] | frozenset[str], holds: Callable[[tuple[str, ...]], bool] | None = None
                   ) -> list[Rule]:
        """The rules that may match a text made of ``words``, in rule order; ``holds(anchors)``
        says whether the text holds one of the anchors (without it, anchor-gated rules are tried)."""
        positions = set(self.always)
        for word in words & self.by_keyword.keys():
            positions.update(self.by_keyword[word])
        for anchors, position in self.by_anchor:
            if position not in positions and (holds is None or holds(anchors)):
                positions.add(position)
        return [self.rules[position] for position in sorted(positions)]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def only(self, rule_ids: Iterable[str]) -> RuleSet:
        """These rules alone, in this set's order (a repository's enabled rules).

        A kept rule may supersede one left out: that simply never happens, so no check fails.
        """
        wanted = frozenset(rule_ids)
        if wanted >= frozenset(self.ids):
            return self
        kept = tuple(rule for rule in self.rules if rule.id in wanted)
        return RuleSet(kept, *_keyword_index(kept))

    def __len__(self) -> int:
        return len(self.rules)


def load_rules(folder: str | Path) -> RuleSet:
    """Every ``*.yaml`` rule in ``folder`` (not its subfolders), validated; RuleError otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RuleError(f"{folder}: rules folder not found (set FAQBOT_RULES to the folder of rule files)")
    rules = [load_rule_file(path) for path in sorted(folder.glob("*.yaml"))]
    if not rules:
        raise RuleError(f"{folder}: no rule files (*.yaml) found")
    return build_ruleset(rules)


def build_ruleset(rules: Iterable[Rule]) -> RuleSet:
    """Check what concerns several rules at once: unique ids, known ``supersedes`` targets."""
    rules = tuple(rules)
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{rule.path}: rule {rule.id!r}: id already used by {seen[rule.id]}")
        seen[rule.id] = rule.path
    for rule in rules:
        for target in rule.supersedes:
            if target not in seen:
                raise RuleError(f"{rule.path}: rule {rule.id!r}: field 'supersedes': unknown rule id {target!r}")
    return RuleSet(rules, *_keyword_index(rules))


def _keyword_index(rules: tuple[Rule, ...]):
    by_keyword: dict[str, list[int]] = {}
    always = []
    by_anchor = []
    for position, rule in enumerate(rules):
        patterns = (*rule.regexes, *rule.phrases, *rule.findings, *rule.described)
        unindexed = [pattern for pattern in patterns if not pattern.keywords]
        if any(not getattr(pattern, "anchors", ()) for pattern in unindexed):
            always.append(position)
            continue
        if unindexed:
            by_anchor.append((tuple(sorted({a for pattern in unindexed for a in pattern.anchors})), position))
        for word in {word for pattern in patterns for word in pattern.keywords}:
            by_keyword.setdefault(word, []).append(position)
    return {word: tuple(positions) for word, positions in by_keyword.items()}, tuple(always), tuple(by_anchor)


def load_rule_file(path: str | Path) -> Rule:
    path = Path(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError(f"{path}: cannot read rule file: {error}") from error
    except yaml.YAMLError as error:
        raise RuleError(f"{path}: not valid YAML: {error}") from error
    if node is None:
        raise RuleError(f"{path}: empty rule file")
    return parse_rule(_Doc(str(path), node))


class _Doc:
    """A YAML node with its file, so every error can say where it is."""

    def __init__(self, path: str, node: yaml.Node, rule_id: str = "?", field_name: str = ""):
        self.path, self.node, self.rule_id, self.field = path, node, rule_id, field_name

    def error(self, message: str) -> RuleError:
        line = self.node.start_mark.line + 1
        where = f" field {self.field!r}:" if self.field else ""
        return RuleError(f"{self.path}:{line}: rule {self.rule_id!r}:{where} {message}")

    def child(self, node: yaml.Node, name: str) -> _Doc:
        full = f"{self.field}.{name}" if self.field else name
        return _Doc(self.path, node, self.rule_id, full)

    def mapping(self) -> dict[str, _Doc]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("must be a mapping of keys to values")
        return {key.value: self.child(value, key.value) for key, value in self.node.value}

    def sequence(self) -> list[_Doc]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("must be a list")
        return [self.child(item, f"[{index}]") for index, item in enumerate(self.node.value)]

    def text(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode) or self.node.tag != "tag:yaml.org,2002:str":
            raise self.error("must be text")
        if not self.node.value.strip():
            raise self.error("must not be empty")
        return self.node.value

    def value(self) -> Any:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error("must be a single value")
        return yaml.safe_load(yaml.serialize(self.node))


def parse_rule(doc: _Doc) -> Rule:
    keys = doc.mapping()
    if "id" in keys:
        doc.rule_id = keys["id"].text()
        for child in keys.values():
            child.rule_id = doc.rule_id
    for old, new in _RENAMED_KEYS.items():
        if old in keys:
            raise keys[old].error(f"the key {old!r} was renamed to {new!r}: rename it in this file")
    for old, why in _DROPPED_KEYS.items():
        if old in keys:
            raise keys[old].error(f"the key {old!r} is no longer read: {why}")
    unknown = sorted(set(keys) - _TOP_KEYS)
    if unknown:
        raise keys[unknown[0]].error(f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    missing = sorted(_REQUIRED_KEYS - set(keys))
    if missing:
        raise doc.error(f"missing required key {missing[0]!r}")
    if not _ID.match(doc.rule_id):
        raise keys["id"].error("must be lowercase letters, digits and dashes")
    if doc.rule_id in RESERVED_IDS:
        raise keys["id"].error(f"{doc.rule_id!r} is a /faq subcommand (reserved: {', '.join(sorted(RESERVED_IDS))})")
    if Path(doc.path).stem != doc.rule_id:
        raise keys["id"].error(f"must match the file name ({Path(doc.path).stem}.yaml)")
    regexes, phrases, findings, described = _patterns(keys["patterns"])
    diagnoses = _diagnoses(keys)
    examples = keys["examples"].mapping()
    return Rule(
        id=doc.rule_id,
        title=_bilingual(keys["title"]),
        faq=_url(keys["faq"]),
        labels=tuple(_label(item) for item in keys["labels"].sequence()),
        regexes=regexes,
        phrases=phrases,
        findings=findings,
        described=described,
        answer=_with_placeholders(keys["answer"], _bilingual(keys["answer"])),
        examples_match=_texts(examples, "match", keys["examples"]),
        examples_no_match=_texts(examples, "no_match", keys["examples"]),
        context=tuple(_regex(item) for item in keys["context"].sequence()) if "context" in keys else (),
        refuse=tuple(_regex(item) for item in keys["refuse"].sequence()) if "refuse" in keys else (),
        conditions=_conditions(keys["conditions"]) if "conditions" in keys else Conditions(),
        diagnoses=diagnoses,
        environment_from=_environment_from(keys["environment_from"]) if "environment_from" in keys else COLLECT_ENV,
        windows_case=_windows_case(keys["windows_case"]) if "windows_case" in keys else None,
        steps=tuple(_step(item, diagnoses) for item in keys["steps"].sequence()) if "steps" in keys else (),
        priority=_integer(keys["priority"]) if "priority" in keys else 0,
        supersedes=tuple(item.text() for item in keys["supersedes"].sequence()) if "supersedes" in keys else (),
        path=doc.path,
    )


def _diagnoses(keys: dict[str, _Doc]) -> tuple[str, ...]:
    """The ``diagnoses`` a rule declares, and the keys that must come with them."""
    if "diagnoses" not in keys:
        for needs_diagnoses in ("environment_from", "windows_case"):
            if needs_diagnoses in keys:
                raise keys[needs_diagnoses].error("only for a rule that declares 'diagnoses'")
        return ()
    declared = []
    for item in keys["diagnoses"].sequence():
        name = item.text()
        if name not in DIAGNOSIS_IDS:
            raise item.error(f"unknown diagnosis {name!r} (known: {', '.join(DIAGNOSIS_IDS)})")
        if name in declared:
            raise item.error(f"diagnosis {name!r} is listed twice")
        declared.append(name)
    if not declared:
        raise keys["diagnoses"].error("needs at least one diagnosis id (or leave the key out)")
    if (WINDOWS_CASE_CONFIRMED in declared) != ("windows_case" in keys):
        raise keys["diagnoses"].error(f"{WINDOWS_CASE_CONFIRMED!r} and 'windows_case' go together")
    return tuple(declared)


def _windows_case(doc: _Doc) -> WindowsCase:
    keys = doc.mapping()
    unknown = sorted(set(keys) - {"pytorch", "nvcc"})
    if unknown:
        raise keys[unknown[0]].error("unknown key (allowed: nvcc, pytorch)")
    if not keys:
        raise doc.error("needs 'pytorch' or 'nvcc': the version the FAQ entry names")
    found = {name: parse_version(item.text()) for name, item in keys.items()}
    for name, version in found.items():
        if version is None:
            raise keys[name].error("must be a version number, e.g. 1.6.0")
    nvcc = found.get("nvcc")
    return WindowsCase(found.get("pytorch"), nvcc.major_minor() if nvcc else None)


def _bilingual(doc: _Doc) -> dict[str, str]:
    keys = doc.mapping()
    for language in LANGUAGES:
        if language not in keys:
            raise doc.error(f"missing the {language!r} text (both 'en' and 'zh' are required)")
    extra = sorted(set(keys) - set(LANGUAGES))
    if extra:
        raise keys[extra[0]].error("unknown language (allowed: en, zh)")
    return {language: keys[language].text().strip() for language in LANGUAGES}


def _with_placeholders(doc: _Doc, texts: dict[str, str]) -> dict[str, str]:
    """The texts, once every ``{{name}}`` in them is a known placeholder."""
    for language, text in texts.items():
        for name in _PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                raise doc.error(f"unknown placeholder {{{{{name}}}}} in the {language!r} text "
                                f"(known: {', '.join(sorted(PLACEHOLDERS))})")
        if text.count("{{") != len(_PLACEHOLDER.findall(text)):
            raise doc.error(f"a '{{{{' in the {language!r} text is not a placeholder such as {{{{collect_env}}}}")
    if set(_PLACEHOLDER.findall(texts["en"])) != set(_PLACEHOLDER.findall(texts["zh"])):
        raise doc.error("the 'en' and 'zh' texts must use the same placeholders")
    return texts


def _step(doc: _Doc, diagnoses: tuple[str, ...]) -> Step:
    keys = doc.mapping()
    unknown = sorted(set(keys) - {"en", "zh", "when"})
    if unknown:
        raise keys[unknown[0]].error("unknown key (allowed: en, zh, when)")
    texts = {language: keys[language].text().strip() for language in LANGUAGES if language in keys}
    if len(texts) != len(LANGUAGES):
        raise doc.error("a step needs both its 'en' and 'zh' text")
    when: dict[str, str | tuple[str, ...]] = {}
    if "when" in keys:
        for name, item in keys["when"].mapping().items():
            if name not in WHEN:
                raise item.error(f"unknown condition (allowed: {', '.join(WHEN)})")
            allowed = WHEN[name]
            if allowed is None:
                value = str(item.value())
                try:
                    re.compile(value)
                except re.error as error:
                    raise item.error(f"not a valid regular expression: {error}") from error
                when[name] = value
                continue
            # One value, or a list of them: the step is shown for any of them ({ops: [mmcv, mmdet]}).
            values = [value.value() for value in item.sequence()] if isinstance(item.node, yaml.SequenceNode) \
                else [item.value()]
            for value in values:
                if str(value) not in allowed:
                    raise item.error(f"must be one of: {', '.join(allowed)}, or a list of them")
                if name == "unsettled" and str(value) not in diagnoses:
                    raise item.error(f"{value!r} is not among the rule's diagnoses ({', '.join(diagnoses) or 'none'})")
            when[name] = tuple(map(str, values)) if len(values) > 1 else str(values[0])
    return Step(_with_placeholders(doc, texts), when)


def _label(doc: _Doc) -> str:
    """A label name GitHub accepts, so adding it cannot fail only once the bot answers for real."""
    label = doc.text()  # refuses an empty or blank name
    if label != label.strip():
        raise doc.error("a label must not begin or end with whitespace")
    if len(label) > MAX_LABEL_CHARS:
        raise doc.error(f"a label is at most {MAX_LABEL_CHARS} characters (this one has {len(label)})")
    if "," in label:
        raise doc.error("a label must not contain a comma: lists of labels are written comma-separated")
    return label


def _url(doc: _Doc) -> str:
    url = doc.text().strip()
    if not url.startswith("https://"):
        raise doc.error("must be an https:// link to the FAQ entry")
    return url


def _environment_from(doc: _Doc) -> str:
    source = doc.text().strip()
    if source not in (COLLECT_ENV, PIP_LIST):
        raise doc.error(f"must be {COLLECT_ENV} or {PIP_LIST}")
    return source


def _integer(doc: _Doc) -> int:
    value = doc.value()
    if not isinstance(value, int) or isinstance(value, bool):
        raise doc.error("must be a whole number")
    return value


def _texts(keys: dict[str, _Doc], name: str, parent: _Doc) -> tuple[str, ...]:
    if name not in keys:
        raise parent.error(f"missing {name!r} examples")
    texts = tuple(item.text() for item in keys[name].sequence())
    if not texts:
        raise keys[name].error("needs at least one example")
    return texts


_PATTERN_SHAPES = (
    "{regex: ...}, {phrase: ..., min_score: ...}, {described: ..., context: [...]} "
    "or {finding: KIND, is: [VALUE, ...]}"
)


def _patterns(doc: _Doc):
    regexes, phrases, findings, described = [], [], [], []
    for item in doc.sequence():
        keys = item.mapping()
        if "regex" in keys and set(keys) <= {"regex"}:
            regexes.append(_regex(keys["regex"]))
        elif "phrase" in keys and set(keys) <= {"phrase", "min_score"}:
            phrases.append(_phrase(keys["phrase"], keys.get("min_score")))
        elif "described" in keys and set(keys) <= {"described", "context"}:
            described.append(_described(keys["described"], keys.get("context"), item))
        elif "finding" in keys and set(keys) <= {"finding", "is"}:
            findings.append(_finding(keys["finding"], keys.get("is"), item))
        else:
            raise item.error(f"each pattern is {_PATTERN_SHAPES}")
    if not (regexes or phrases or findings or described):
        raise doc.error("needs at least one pattern")
    return tuple(regexes), tuple(phrases), tuple(findings), tuple(described)


def _described(doc: _Doc, context: _Doc | None, item: _Doc) -> RegexPattern:
    """An error put in words: weaker than a pasted one, so it must come with its own context."""
    if context is None:
        raise item.error("a described error needs its own 'context': what places it (the failing step, the library)")
    places = tuple(_regex(entry) for entry in context.sequence())
    if not places:
        raise context.error("needs at least one context regex")
    pattern = _regex(doc)
    return replace(pattern, context=places, described=True)


def _finding(kind_doc: _Doc, values_doc: _Doc | None, item: _Doc) -> FindingPattern:
    kind = kind_doc.text()
    if kind not in findings_module.KINDS:
        raise kind_doc.error(f"unknown finding {kind!r} (known: {', '.join(findings_module.KINDS)})")
    if values_doc is None:
        raise item.error("a finding pattern needs 'is': the values that this rule answers")
    allowed = findings_module.allowed_values(kind)
    values = []
    for entry in values_doc.sequence():
        value = entry.text()
        if value not in allowed:
            shown = ", ".join(sorted(allowed)) if len(allowed) < 20 else "see rules/data/ and bot/findings.py"
            raise entry.error(f"{kind} never has the value {value!r} (values: {shown})")
        values.append(value)
    if not values:
        raise values_doc.error("needs at least one value")
    return FindingPattern(kind, frozenset(values))


def _regex(doc: _Doc) -> RegexPattern:
    source = doc.text()
    try:
        compiled = re.compile(source, re.IGNORECASE | re.MULTILINE)
    except re.error as error:
        raise doc.error(f"not a valid regular expression: {error}") from error
    try:
        screened = regex_safety.check(source)
    except regex_safety.UnsafePattern as error:
        raise doc.error(str(error)) from error
    return RegexPattern(compiled, screened.anchors, screened.keywords, single_line=screened.single_line,
                        also=screened.also, bounds={text: (left, right) for text, left, right in screened.bounds},
                        reach=screened.reach)


def _phrase(doc: _Doc, score_doc: _Doc | None) -> PhrasePattern:
    phrase = " ".join(doc.text().split())
    if len(phrase) < MIN_PHRASE_CHARS:
        raise doc.error(f"a fuzzy phrase needs at least {MIN_PHRASE_CHARS} characters to be evidence")
    score = DEFAULT_PHRASE_SCORE
    if score_doc is not None:
        score = score_doc.value()
        if not isinstance(score, (int, float)) or not 80 <= score <= 100:
            raise score_doc.error("must be a number from 80 to 100")
    words = sorted({word for word in WORD.findall(phrase.lower()) if len(word) >= 4}, key=len, reverse=True)
    if not words:
        raise doc.error("a fuzzy phrase needs at least one word of four or more letters")
    # Its two longest words: the most distinctive, so the keyword index stays selective (a third
    # is often "failed" or "error"); a retyped phrase rarely garbles both.
    return PhrasePattern(phrase, float(score), tuple(words[:2]))


def _conditions(doc: _Doc) -> Conditions:
    platforms: tuple[str, ...] = ()
    versions = []
    for name, item in doc.mapping().items():
        if name == "platform":
            platforms = tuple(entry.text() for entry in item.sequence())
            bad = [value for value in platforms if value not in PLATFORMS]
            if bad:
                raise item.error(f"unknown platform {bad[0]!r} (allowed: {', '.join(PLATFORMS)})")
        elif name in VERSION_CONDITIONS:
            try:
                versions.append((VERSION_CONDITIONS[name], parse_range(item.text())))
            except VersionRangeError as error:
                raise item.error(str(error)) from error
        else:
            allowed = ", ".join(("platform", *VERSION_CONDITIONS))
            raise item.error(f"unknown condition (allowed: {allowed})")
    return Conditions(platforms, tuple(versions))
