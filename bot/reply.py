"""The comment the bot posts: evidence, fix, FAQ link, environment, marker, labels (pure)."""

from __future__ import annotations

import re
from typing import Iterable

from bot import diagnosis
from bot.diagnosis import Diagnosis, Message, MessageValue
from bot.marker import MARKER, NOTE_MARKER
from bot.findings import Finding
from bot.matcher import Match

# GitHub refuses comments longer than this (422).
GITHUB_COMMENT_LIMIT = 65_536
MAX_ANSWERS = 3
MAX_EVIDENCE_CHARS = 300

TEXT = {
    "en": {
        "intro_one": "This looks like a known problem that the FAQ answers.",
        "intro_many": "This looks like known problems that the FAQ answers.",
        "found": "The error in your report",
        "line_title": "in the title",
        "line_body": "line {line}",
        "steps": "**What to do**",
        "faq": "FAQ entry: {url}",
        "diagnosis": "**What your environment shows**",
        "ask_env": (
            "**Please add your environment.** Run `python mmdet/utils/collect_env.py` and edit "
            "this issue to paste its output; I will then check: {checks}."
        ),
        "env_summary": "Environment as I read it",
        "footer": (
            "<sub>I am faq-bot and answer from the project's FAQ. If this does not help, a "
            "maintainer will follow up. Maintainers can re-run me with `/faq`, or post one "
            "answer with `/faq RULE-ID`.</sub>"
        ),
        "nothing": (
            "I found no FAQ entry that fits this issue (I looked at the title, the error "
            "messages and the environment). A maintainer will take a look."
        ),
        "unknown_rule": "There is no FAQ rule `{rule}`. Known rules: {known}.",
        "truncated": "*(shortened to fit GitHub's comment size limit)*",
        # What a finding of bot/findings.py means for this reporter (keys: Finding.message).
        "hints": "**A hint**",
        "cuda-error": "CUDA error {code} is `{name}` in the CUDA runtime's numbering of {numbering}.",
        "symbol-pytorch": (
            "The missing symbol `{symbol}` belongs to PyTorch (namespace `{scope}::`): the PyTorch you "
            "run is not the one `{library}` was built with."
        ),
        "symbol-cxx-runtime": (
            "The missing symbol `{symbol}` belongs to the C++ standard library (`{scope}::`): the "
            "libstdc++ loaded at run time is older than the one `{library}` was built with."
        ),
        "symbol-cxx-version": (
            "`{version}` is a version of the C++ runtime (libstdc++): the one loaded is older than the "
            "one MMCV was built with."
        ),
        "symbol-cuda": (
            "The missing symbol `{symbol}` belongs to the CUDA runtime: `{library}` was built for "
            "another CUDA than the one it runs with."
        ),
        "symbol-mmcv-ops": (
            "The missing symbol `{symbol}` is one of the compiled ops' own functions: `{library}` is "
            "incomplete or from another build."
        ),
        "library-cuda": (
            "`{library}` belongs to the CUDA toolkit{version}: MMCV or PyTorch was built for that CUDA, "
            "and its runtime is not installed here (or not on the library path)."
        ),
        "library-pytorch": (
            "`{library}` is one of PyTorch's libraries: MMCV was built against a PyTorch that has it, "
            "and the PyTorch installed here does not."
        ),
        "already-registered-mmcv": (
            "MMCV registers `{name}` itself (since MMCV {since}): this MMDetection is older than your "
            "MMCV and registers it a second time."
        ),
        "hint-newer-release": (
            "`{name}` is a class {library} registers from release {since} on, and you have "
            "{library} {installed}: upgrade {library}, or use a config written for your release."
        ),
        "hint-did-you-mean": "`{name}` is not a class {library} registers. Did you mean `{suggestion}`?",
        "ops-missing-mmcv2": (
            "You have MMCV {version}: from MMCV 2.0 on the package with compiled ops is `mmcv` "
            "(`mim install mmcv`), and `mmcv-lite` has none; `mmcv-full` is MMCV 1.x and does not fit."
        ),
        "ops-missing-mmcv1": (
            "You have MMCV {version}: in MMCV 1.x the package with compiled ops is `mmcv-full`; `mmcv` 1.x has none."
        ),
    },
    "zh": {
        "intro_one": "这看起来是常见问题（FAQ）中已有解答的问题。",
        "intro_many": "这看起来是常见问题（FAQ）中已有解答的几个问题。",
        "found": "您报告中的错误",
        "line_title": "见标题",
        "line_body": "第 {line} 行",
        "steps": "**解决方法**",
        "faq": "FAQ 条目：{url}",
        "diagnosis": "**从您的环境信息中可以看到**",
        "ask_env": (
            "**请补充您的环境信息。** 运行 `python mmdet/utils/collect_env.py`，并编辑本 issue "
            "贴上它的输出；我会检查：{checks}。"
        ),
        "env_summary": "我读到的环境信息",
        "footer": (
            "<sub>我是 faq-bot，根据项目的常见问题解答作答。如果没有解决您的问题，维护者会继续跟进。"
            "维护者可以用 `/faq` 让我重新检查，或用 `/faq 规则ID` 发布指定的解答。</sub>"
        ),
        "nothing": "我没有找到与这个 issue 对应的常见问题条目（已检查标题、错误信息和环境信息）。维护者会来看一下。",
        "unknown_rule": "没有名为 `{rule}` 的 FAQ 规则。已有的规则：{known}。",
        "truncated": "*（为符合 GitHub 评论长度限制，内容已截短）*",
        "hints": "**提示**",
        "cuda-error": "CUDA 错误码 {code} 在 CUDA 运行时的编号中（{numbering}）是 `{name}`。",
        "symbol-pytorch": (
            "缺少的符号 `{symbol}` 属于 PyTorch（命名空间 `{scope}::`）：您运行的 PyTorch 不是编译 "
            "`{library}` 时使用的那个。"
        ),
        "symbol-cxx-runtime": (
            "缺少的符号 `{symbol}` 属于 C++ 标准库（`{scope}::`）：运行时加载的 libstdc++ 比编译 "
            "`{library}` 时的旧。"
        ),
        "symbol-cxx-version": "`{version}` 是 C++ 运行时（libstdc++）的版本：加载的 libstdc++ 比编译 MMCV 时的旧。",
        "symbol-cuda": "缺少的符号 `{symbol}` 属于 CUDA 运行时：`{library}` 编译时的 CUDA 与运行时的不同。",
        "symbol-mmcv-ops": "缺少的符号 `{symbol}` 是编译算子自身的函数：`{library}` 不完整，或来自另一次编译。",
        "library-cuda": (
            "`{library}` 属于 CUDA toolkit{version}：MMCV 或 PyTorch 是针对这个 CUDA 编译的，但本机没有安装它"
            "的运行时（或不在库路径中）。"
        ),
        "library-pytorch": "`{library}` 是 PyTorch 的库：编译 MMCV 时用的 PyTorch 带有它，而本机安装的 PyTorch 没有。",
        "already-registered-mmcv": (
            "MMCV 自己就注册了 `{name}`（从 MMCV {since} 起）：这个 MMDetection 比您的 MMCV 旧，又注册了一次。"
        ),
        "hint-newer-release": (
            "`{name}` 是 {library} 从 {since} 版本起才注册的类，而您安装的是 {library} {installed}："
            "请升级 {library}，或使用与您的版本对应的配置文件。"
        ),
        "hint-did-you-mean": "{library} 没有注册名为 `{name}` 的类。您是不是想写 `{suggestion}`？",
        "ops-missing-mmcv2": (
            "您安装的是 MMCV {version}：从 MMCV 2.0 起，带编译算子的包叫 `mmcv`（`mim install mmcv`），"
            "`mmcv-lite` 不带算子；`mmcv-full` 是 MMCV 1.x 的包，并不适用。"
        ),
        "ops-missing-mmcv1": "您安装的是 MMCV {version}：MMCV 1.x 中带编译算子的包是 `mmcv-full`，`mmcv` 1.x 不带算子。",
    },
}


def render_answer(
    language: str,
    matches: Iterable[Match],
    diagnoses: Iterable[Diagnosis] = (),
    env_checks: Iterable[str] = (),
    env_rows: Iterable[tuple[str, str]] = (),
    hints: Iterable[Finding] = (),
) -> str:
    """The whole comment for matched rules; ``env_checks`` are phrases already in ``language``."""
    text = TEXT[language]
    matches = list(matches)[:MAX_ANSWERS]
    if not matches:
        return render_hints(language, hints)
    parts = [MARKER, text["intro_one"] if len(matches) == 1 else text["intro_many"]]
    # What the reporter's own facts show comes first: it is the specific answer, the FAQ's
    # steps below are the general one.
    findings = [render_message(found.message, language) for found in diagnoses]
    if findings:
        parts.append(text["diagnosis"] + "\n\n" + "\n".join(f"- {finding}" for finding in findings))
    for found in matches:
        parts.append(_answer_section(language, found))
    hint_lines = [render_finding(hint, language) for hint in hints if hint.message]
    if hint_lines:
        parts.append(text["hints"] + "\n\n" + "\n".join(f"- {line}" for line in hint_lines))
    checks = list(dict.fromkeys(env_checks))
    if checks:
        parts.append(text["ask_env"].format(checks="; ".join(checks)))
    rows = list(env_rows)
    if rows:
        parts.append(_environment_block(text["env_summary"], rows))
    parts.append(text["footer"])
    return "\n\n".join(parts) + "\n"


def render_finding(finding: Finding, language: str) -> str:
    """What a finding (a symbol's owner, a CUDA error's name, a hint) means, in ``language``."""
    return TEXT[language][finding.message].format(**dict(finding.fields))


def render_hints(language: str, hints: Iterable[Finding]) -> str:
    """The comment for hints alone (a misspelt class name), which answer no FAQ entry."""
    lines = [render_finding(hint, language) for hint in hints if hint.message]
    return "\n\n".join([MARKER, *lines, TEXT[language]["footer"]]) + "\n"


def render_message(message: Message, language: str) -> str:
    """A diagnosis's sentence in ``language``, from the templates of ``diagnosis.TEXT``."""
    return diagnosis.TEXT[language][message.key].format(
        **{name: _render_value(value, language) for name, value in message.values.items()}
    )


def _render_value(value: MessageValue, language: str) -> str:
    if isinstance(value, Message):
        return render_message(value, language)
    if isinstance(value, tuple):
        return diagnosis.TEXT[language]["list-separator"].join(render_message(item, language) for item in value)
    return value


def _answer_section(language: str, found: Match) -> str:
    text = TEXT[language]
    rule = found.rule
    where = text["line_title"] if found.evidence.line == 0 else text["line_body"].format(line=found.evidence.line)
    quote = _code_block(found.evidence.text[:MAX_EVIDENCE_CHARS])
    notes = dict.fromkeys(render_finding(finding, language) for finding in found.findings if finding.message)
    found_text = f"{text['found']} ({where}):\n\n{quote}" + "".join(f"\n\n{note}" for note in notes)
    return "\n\n".join(
        [
            f"### {rule.title[language]}",
            found_text,
            f"{text['steps']}\n\n{rule.answer[language]}",
            text["faq"].format(url=rule.faq),
        ]
    )


def _code_block(content: str) -> str:
    """A fence the quoted text cannot close: longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{content}\n{fence}"


def _environment_block(summary: str, rows: Iterable[tuple[str, str]]) -> str:
    body = "\n".join(f"{label}: {value}" for label, value in rows)
    return f"<details><summary>{summary}</summary>\n\n{_code_block(body)}\n\n</details>"


def render_nothing_found(language: str) -> str:
    """The short reply to a maintainer's ``/faq`` when no rule fits."""
    return f"{MARKER}\n{TEXT[language]['nothing']}\n"


def render_unknown_rule(language: str, rule_id: str, known: Iterable[str]) -> str:
    listed = ", ".join(f"`{rule}`" for rule in known)
    return f"{NOTE_MARKER}\n{TEXT[language]['unknown_rule'].format(rule=rule_id.replace('`', ''), known=listed)}\n"


def labels_for(matches: Iterable[Match]) -> tuple[str, ...]:
    """The matched rules' labels, once each, in the order the rules are answered."""
    labels: dict[str, None] = {}
    for found in list(matches)[:MAX_ANSWERS]:
        labels.update(dict.fromkeys(found.rule.labels))
    return tuple(labels)


def shorten(comment: str, max_chars: int, language: str = "en") -> str:
    """The comment cut to ``max_chars`` at a paragraph, keeping the marker and saying it was cut."""
    if len(comment) <= max_chars:
        return comment
    note = "\n\n" + TEXT.get(language, TEXT["en"])["truncated"] + "\n"
    budget = max(len(MARKER), max_chars - len(note))
    cut = comment[:budget]
    paragraph = cut.rfind("\n\n")
    if paragraph > len(MARKER):
        cut = cut[:paragraph]
    cut = _close_open_fence(cut)
    return cut[: max_chars - len(note)] + note


def _close_open_fence(text: str) -> str:
    fences = re.findall(r"^(`{3,})", text, flags=re.M)
    return text + "\n```" if len(fences) % 2 else text
