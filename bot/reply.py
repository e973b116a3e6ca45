"""Rendering the composed answer: markdown in the reporter's language, marker, labels (pure).

Everything said was decided by bot/answer.py; this module only writes it down.
"""

from __future__ import annotations

import re
from typing import Iterable

from bot import answer, diagnosis
from bot.answer import MAX_ANSWERS, PLACEHOLDER, Answer, Filled, Section
from bot.diagnosis import Diagnosis, Message, MessageValue
from bot.findings import Finding
from bot.marker import FOLLOW_UP_MARKER, MARKER, NOTE_MARKER
from bot.matcher import Match

# GitHub refuses comments longer than this (422).
GITHUB_COMMENT_LIMIT = 65_536

TEXT = {
    "en": {
        "intro_one": "This looks like a known problem that the FAQ answers.",
        "intro_many": "This looks like known problems that the FAQ answers.",
        "found": "The error in your report",
        "found_described": "What you describe",
        "line_title": "in the title",
        "line_body": "line {line}",
        "steps": "**What to do**",
        "faq": "FAQ: {url}",
        "diagnosis": "**What your report shows**",
        "env_summary": "The environment facts I used",
        "footer": "<sub>faq-bot, answering from the FAQ; a maintainer follows up if this does not help. "
                  "Maintainers: `/faq` re-runs me, `/faq RULE-ID` posts one answer.</sub>",
        "footer_hint": "<sub>faq-bot, reading your error against the releases' registered names (no FAQ entry); a "
                       "maintainer follows up if this does not help. Maintainers: `/faq` re-runs me, `/faq RULE-ID` "
                       "posts one answer.</sub>",
        "env_reply_intro": "Thanks for the environment. For the FAQ entry above, it shows:",
        "env_reply_updated": "I have updated the answer above for your versions.",
        "env_reply_nothing": (
            "Thanks for the environment. It shows nothing that explains this error, so I leave it to "
            "the maintainers."
        ),
        "follow_up_intro": "Your new comment shows another known problem that the FAQ answers.",
        "nothing": (
            "I found no FAQ entry that fits this issue (I looked at the title, the error "
            "messages and the environment). A maintainer will take a look."
        ),
        "unknown_rule": "There is no FAQ rule `{rule}`. Known rules: {known}.",
        "truncated": "*(shortened to fit GitHub's comment size limit)*",
        "config_problem": "<sub>Note for maintainers: `{problem}`</sub>",
        "mode_off": (
            "faq-bot is switched off in this repository (`mode: off` in {source}), so I did nothing. "
            "`mode: on` lets me answer."
        ),
        "mode_shadow": (
            "faq-bot runs in shadow mode in this repository (`mode: shadow` in {source}): I recorded what I "
            "would have posted, for `python -m bot shadow report`, and posted nothing."
        ),
        "help_title": "**faq-bot commands** (maintainers only; the command starts the comment):",
        "help_commands": (
            "- `/faq`: triage this issue again, and post or update my answer\n"
            "- `/faq RULE-ID`: answer with that rule\n"
            "- `/faq off`: withdraw my answer and the labels I added; the rule counts as wrong for this issue\n"
            "- `/faq unmute RULE-ID`: let a rule that was withdrawn too often answer again\n"
            "- `/faq help`: this list"
        ),
        "help_mode": "Mode here: `{mode}`, from {source}.",
        "help_enabled": "Rules that answer here: {rules}.",
        "help_not_enabled": "Switched off by the config: {rules}.",
        "help_muted": "Muted because maintainers withdrew their answers too often: {rules}.",
        "help_labels": "Labels renamed or dropped here: {labels}.",
        "help_skip": "Issues left alone: {skip}.",
        "help_none": "none",
        "unmuted": "Rule `{rule}` may answer again in this repository.",
        "not_muted": "Rule `{rule}` is not muted in this repository.",
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
        "symbol-pytorch-unnamed": (
            "The missing symbol `{symbol}` belongs to PyTorch (namespace `{scope}::`): the PyTorch you "
            "run is not the one MMCV's compiled ops were built with."
        ),
        "symbol-cxx-runtime-unnamed": (
            "The missing symbol `{symbol}` belongs to the C++ standard library (`{scope}::`): the "
            "libstdc++ loaded at run time is older than the one MMCV's compiled ops were built with."
        ),
        "symbol-cuda-unnamed": (
            "The missing symbol `{symbol}` belongs to the CUDA runtime: MMCV's compiled ops were built "
            "for another CUDA than the one they run with."
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
        "registry-installed-copy": (
            "Your traceback runs through the installed `{package}` (in `site-packages`): Python imports "
            "that copy, so a file added to a source checkout of {package} is not seen until the checkout "
            "is installed with `pip install -v -e .`."
        ),
        "hint-newer-release": (
            "`{name}` is a class {library} registers from release {since} on, and you have "
            "{library} {installed}: upgrade {library}, or use a config written for your release."
        ),
        "hint-arrived-in": (
            "`{name}` is a class {library} registers from release {since} on: check your release with "
            "`python -c \"import {library}; print({library}.__version__)\"`. An older one does not have it: "
            "upgrade {library}, or use a config written for your release."
        ),
        "hint-older-release": (
            "`{name}` is a class {library} registered up to release {until}, and you have {library} {installed}, "
            "which no longer has it: use a config written for your release."
        ),
        "hint-did-you-mean": "`{name}` is not a class {library} registers. Did you mean `{suggestion}`?",
        "ops-missing-mmcv2": (
            "You have MMCV {version}: from MMCV 2.0 on the package with compiled ops is `mmcv` "
            "(`mim install mmcv`); `mmcv-lite` has none."
        ),
        "ops-missing-mmcv1": (
            "You have MMCV {version}: in MMCV 1.x the package with compiled ops is `mmcv-full`; `mmcv` 1.x has none."
        ),
    },
    "zh": {
        "intro_one": "这看起来是常见问题（FAQ）中已有解答的问题。",
        "intro_many": "这看起来是常见问题（FAQ）中已有解答的几个问题。",
        "found": "您报告中的错误",
        "found_described": "您描述的情况",
        "line_title": "见标题",
        "line_body": "第 {line} 行",
        "steps": "**解决方法**",
        "faq": "FAQ：{url}",
        "diagnosis": "**从您的报告中可以看到**",
        "env_summary": "我用到的环境信息",
        "footer": "<sub>faq-bot 根据常见问题解答作答；如未解决，维护者会跟进。"
                  "维护者：`/faq` 让我重新检查，`/faq 规则ID` 发布指定的解答。</sub>",
        "footer_hint": "<sub>faq-bot 根据各版本注册的类名核对了您的报错（不是常见问题条目）；如未解决，维护者会跟进。"
                       "维护者：`/faq` 让我重新检查，`/faq 规则ID` 发布指定的解答。</sub>",
        "env_reply_intro": "感谢补充环境信息。针对上面的 FAQ 条目，可以看到：",
        "env_reply_updated": "我已按您的版本更新了上面的解答。",
        "env_reply_nothing": "感谢补充环境信息。其中没有能解释这个错误的地方，请等待维护者跟进。",
        "follow_up_intro": "您的新评论中出现了另一个常见问题（FAQ）中已有解答的问题。",
        "nothing": "我没有找到与这个 issue 对应的常见问题条目（已检查标题、错误信息和环境信息）。维护者会来看一下。",
        "unknown_rule": "没有名为 `{rule}` 的 FAQ 规则。已有的规则：{known}。",
        "truncated": "*（为符合 GitHub 评论长度限制，内容已截短）*",
        "config_problem": "<sub>维护者请注意：`{problem}`</sub>",
        "mode_off": "faq-bot 在这个仓库中已关闭（{source} 中的 `mode: off`），所以我什么也没有做。设置 `mode: on` 后我才会回答。",
        "mode_shadow": (
            "faq-bot 在这个仓库中以影子模式运行（{source} 中的 `mode: shadow`）：我记录了本来会发布的内容，"
            "供 `python -m bot shadow report` 查看，但没有发布任何内容。"
        ),
        "help_title": "**faq-bot 命令**（仅限维护者；命令须写在评论开头）：",
        "help_commands": (
            "- `/faq`：重新检查这个 issue，发布或更新我的解答\n"
            "- `/faq 规则ID`：用该规则作答\n"
            "- `/faq off`：撤回我的解答和我添加的标签；该规则记为对这个 issue 不适用\n"
            "- `/faq unmute 规则ID`：让因多次被撤回而静音的规则重新作答\n"
            "- `/faq help`：显示本列表"
        ),
        "help_mode": "本仓库的模式：`{mode}`，来自 {source}。",
        "help_enabled": "在这里会作答的规则：{rules}。",
        "help_not_enabled": "被配置关闭的规则：{rules}。",
        "help_muted": "因维护者多次撤回解答而静音的规则：{rules}。",
        "help_labels": "在这里改名或不添加的标签：{labels}。",
        "help_skip": "不处理的 issue：{skip}。",
        "help_none": "无",
        "unmuted": "规则 `{rule}` 在这个仓库中可以重新作答了。",
        "not_muted": "规则 `{rule}` 在这个仓库中没有被静音。",
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
        "symbol-pytorch-unnamed": (
            "缺少的符号 `{symbol}` 属于 PyTorch（命名空间 `{scope}::`）：您运行的 PyTorch 不是编译 MMCV 算子时使用的那个。"
        ),
        "symbol-cxx-runtime-unnamed": (
            "缺少的符号 `{symbol}` 属于 C++ 标准库（`{scope}::`）：运行时加载的 libstdc++ 比编译 MMCV 算子时的旧。"
        ),
        "symbol-cuda-unnamed": "缺少的符号 `{symbol}` 属于 CUDA 运行时：MMCV 算子编译时的 CUDA 与运行时的不同。",
        "library-cuda": (
            "`{library}` 属于 CUDA toolkit{version}：MMCV 或 PyTorch 是针对这个 CUDA 编译的，但本机没有安装它"
            "的运行时（或不在库路径中）。"
        ),
        "library-pytorch": "`{library}` 是 PyTorch 的库：编译 MMCV 时用的 PyTorch 带有它，而本机安装的 PyTorch 没有。",
        "already-registered-mmcv": (
            "MMCV 自己就注册了 `{name}`（从 MMCV {since} 起）：这个 MMDetection 比您的 MMCV 旧，又注册了一次。"
        ),
        "registry-installed-copy": (
            "您的报错调用栈经过的是已安装的 `{package}`（在 `site-packages` 中）：Python 导入的是这一份，"
            "因此在 {package} 源码目录中新增的文件不会被导入，除非用 `pip install -v -e .` 安装该源码目录。"
        ),
        "hint-newer-release": (
            "`{name}` 是 {library} 从 {since} 版本起才注册的类，而您安装的是 {library} {installed}："
            "请升级 {library}，或使用与您的版本对应的配置文件。"
        ),
        "hint-arrived-in": (
            "`{name}` 是 {library} 从 {since} 版本起才注册的类：请用 `python -c \"import {library}; "
            "print({library}.__version__)\"` 查看您的版本。更早的版本没有这个类，请升级 {library}，或使用与您的版本对应的配置文件。"
        ),
        "hint-older-release": (
            "`{name}` 是 {library} 在 {until} 及以前的版本中注册的类，而您安装的是 {library} {installed}，已经没有这个类："
            "请使用与您的版本对应的配置文件。"
        ),
        "hint-did-you-mean": "{library} 没有注册名为 `{name}` 的类。您是不是想写 `{suggestion}`？",
        "ops-missing-mmcv2": (
            "您安装的是 MMCV {version}：从 MMCV 2.0 起，带编译算子的包叫 `mmcv`（`mim install mmcv`），"
            "`mmcv-lite` 不带算子。"
        ),
        "ops-missing-mmcv1": "您安装的是 MMCV {version}：MMCV 1.x 中带编译算子的包是 `mmcv-full`，`mmcv` 1.x 不带算子。",
    },
}


def render(answer: Answer) -> str:
    """The whole comment: exactly what ``answer`` decided, in its language."""
    language = answer.language
    text = TEXT[language]
    if not answer.sections:
        return render_hints(language, answer.hints)
    parts = [MARKER, text["intro_one"] if len(answer.sections) == 1 else text["intro_many"]]
    # What the reporter's own facts show comes first: it is the specific answer.
    if answer.findings:
        findings = "\n".join(f"- {render_message(finding, language)}" for finding in answer.findings)
        parts.append(f"{text['diagnosis']}\n\n{findings}")
    for section in answer.sections:
        parts.append(_section(language, section))
    if answer.hints:
        listed = "\n".join(f"- {render_finding(hint, language)}" for hint in answer.hints)
        parts.append(f"{text['hints']}\n\n{listed}")
    if answer.ask is not None:
        parts.append(render_message(answer.ask, language))
    if answer.env_rows:
        parts.append(_environment_block(text["env_summary"], answer.env_rows))
    parts.append(text["footer"])
    return "\n\n".join(parts) + "\n"


def render_finding(finding: Finding, language: str) -> str:
    """What a finding (a symbol's owner, a CUDA error's name, a hint) means, in ``language``."""
    return TEXT[language][finding.message].format(**dict(finding.fields))


def render_hints(language: str, hints: Iterable[Finding]) -> str:
    """The comment for hints alone (a misspelt class name), which answer no FAQ entry."""
    lines = [render_finding(hint, language) for hint in hints if hint.message]
    return "\n\n".join([MARKER, *lines, TEXT[language]["footer_hint"]]) + "\n"


def render_message(message: Message, language: str) -> str:
    """A Message's sentence in ``language``, from the templates of answer.TEXT or diagnosis.TEXT."""
    template = answer.TEXT[language].get(message.key)
    if template is None:
        template = diagnosis.TEXT[language][message.key]
    return template.format(**{name: _render_value(value, language) for name, value in message.values.items()})


def _render_value(value: MessageValue, language: str) -> str:
    if isinstance(value, Message):
        return render_message(value, language)
    if isinstance(value, tuple):
        return diagnosis.TEXT[language]["list-separator"].join(render_message(item, language) for item in value)
    return value


def _fill(filled: Filled, language: str) -> str:
    text = PLACEHOLDER.sub(lambda found: _render_value(filled.values[found[1]], language), filled.template)
    # A template's space around a placeholder separates it from Latin text; a value that ends in
    # full-width punctuation ("RTX 3090（计算能力 8.6）") or is Chinese itself ("安装 PyTorch 2.1 ...")
    # needs none.
    return _SPACE_BETWEEN_CHINESE.sub("", text) if language == "zh" else text


_SPACE_BETWEEN_CHINESE = re.compile(r"(?<=[\u4e00-\u9fff）】」』，。：；]) (?=[\u4e00-\u9fff])")


def _section(language: str, section: Section) -> str:
    text = TEXT[language]
    where = text["line_title"] if section.line == 0 else text["line_body"].format(line=section.line)
    parts = [
        f"### {section.title}",
        # the reporter's words for the error are quoted as words, not as program output
        f"{text['found_described']} ({where}):\n\n> {section.quote}" if section.described
        else f"{text['found']} ({where}):\n\n{_code_block(section.quote)}",
        *(render_finding(note, language) for note in section.notes),
    ]
    summary = _fill(section.summary, language)
    steps = "\n".join(f"{number}. {_fill(step, language)}" for number, step in enumerate(section.steps, 1))
    parts.append(f"{text['steps']}\n\n" + "\n".join(piece for piece in (summary, steps) if piece))
    parts.append(text["faq"].format(url=section.faq))
    return "\n\n".join(parts)


def _code_block(content: str) -> str:
    """A fence the quoted text cannot close: longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{content}\n{fence}"


def _environment_block(summary: str, rows: Iterable[tuple[str, str]]) -> str:
    body = "\n".join(f"{label}: {value}" for label, value in rows)
    return f"<details><summary>{summary}</summary>\n\n{_code_block(body)}\n\n</details>"


def render_environment_reply(language: str, diagnoses: Iterable[Diagnosis]) -> str:
    """The short reply to an author who answered the bot's question with their environment."""
    text = TEXT[language]
    findings = [render_message(found.message, language) for found in diagnoses]
    if not findings:
        return f"{FOLLOW_UP_MARKER}\n{text['env_reply_nothing']}\n"
    listed = "\n".join(f"- {finding}" for finding in findings)
    return f"{FOLLOW_UP_MARKER}\n{text['env_reply_intro']}\n\n{listed}\n\n{text['env_reply_updated']}\n"


def render_follow_up_answer(answer: str, language: str) -> str:
    """``answer`` (render_answer's comment) as a comment of its own, for an error the author's later comment shows.

    Its marker and opening sentence change: it must never be taken for the issue's one answer, and
    it says why the bot speaks again.
    """
    body = answer.removeprefix(MARKER).lstrip("\n")
    _, _, after_intro = body.partition("\n\n")
    return f"{FOLLOW_UP_MARKER}\n\n{TEXT[language]['follow_up_intro']}\n\n{after_intro}"


def render_nothing_found(language: str) -> str:
    """The short reply to a maintainer's ``/faq`` when no rule fits."""
    return f"{MARKER}\n{TEXT[language]['nothing']}\n"


def render_unknown_rule(language: str, rule_id: str, known: Iterable[str]) -> str:
    listed = ", ".join(f"`{rule}`" for rule in known)
    return f"{NOTE_MARKER}\n{TEXT[language]['unknown_rule'].format(rule=rule_id.replace('`', ''), known=listed)}\n"


def render_note(language: str, key: str, **values: str) -> str:
    """A short note of the bot's own (never its answer): one of TEXT's sentences, filled in."""
    return f"{NOTE_MARKER}\n{TEXT[language][key].format(**values)}\n"


def render_help(language: str, mode: str, source: str, facts: Iterable[tuple[str, Iterable[str]]]) -> str:
    """The reply to `/faq help`: the commands, then the repository's live settings.

    ``facts``: (TEXT key, items) pairs, such as ("help_enabled", rule ids); an empty one is left out,
    except the enabled rules, which say "none".
    """
    text = TEXT[language]
    lines = [text["help_title"], "", text["help_commands"], "", text["help_mode"].format(mode=mode, source=source)]
    for key, items in facts:
        shown = ", ".join(f"`{item}`" for item in items)
        if shown or key == "help_enabled":
            field = {"help_labels": "labels", "help_skip": "skip"}.get(key, "rules")
            lines.append(text[key].format(**{field: shown or text["help_none"]}))
    return f"{NOTE_MARKER}\n" + "\n".join(lines) + "\n"


def with_config_problem(body: str, language: str, problem: str | None) -> str:
    """``body`` with a line telling maintainers their config is not the one in force, and why."""
    if not problem:
        return body
    return body.rstrip("\n") + "\n\n" + TEXT[language]["config_problem"].format(problem=problem.replace("`", "'")) + "\n"


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
