"""The bot's replies on a corpus's positive cases, dumped for reading, with the defects a script can see.

Usage:
  python bench/reply_review.py CORPUS.jsonl [CORPUS2.jsonl ...] [--out replies.md] [--json]
  python bench/reply_review.py CORPUS.jsonl ... --emit comments.json [--root OTHER_CHECKOUT]
  python bench/reply_review.py CORPUS.jsonl ... --comments comments.json --out replies.md

The first form triages every case whose ``expected`` is not empty and judges each reply. ``--emit``
only writes the replies (with ``--root``, those of another checkout of the bot, e.g. an older
commit), and ``--comments`` judges such a file with this checkout's readers, so replies of two
versions are judged by the same facts.

The defects (each flag names one):
  unfilled-template   a {cu_version}-like placeholder left for the reporter to fill
  mmcv-full-to-2x     `mmcv-full` named to a reporter whose MMCV is 2.x (outside quoted code), unless
                      their error asks for MMCV 1.x or their pip list shows mmcv-full too
  outside-range       a pinned version outside the range the reporter's error printed
  over-budget         more than 1,500 characters outside the folded environment (one entry;
                      +1,200 for each further entry)
  internal-wording    words of the bot's internals ("Contradictory (ignored)", diagnosis ids)
  asks-pasted-env     asks for the environment although the issue holds a collect_env (its
                      sys.platform, CUDA available, GPU or MMCV compiler lines) or a pip/conda list
  wrong-collect-env   names another project's collect_env.py than the repository's
  generic-install     PyTorch and its CUDA are known, yet the install command is mim's or a template
  fixed-gpu-example   the Volta (7.0) example although the reporter's GPU is known and is no Volta
  inexact-quote       the quoted error is not the reporter's text as written
  wrong-language      the reply is not in the reporter's language (the corpus label)
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cases(paths: list[str]) -> list[dict]:
    cases = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                if case.get("expected"):
                    cases.append(case)
    return cases


def emit(paths: list[str], root: Path) -> dict[str, dict]:
    """Triage every positive case with the bot found in ``root``."""
    sys.path.insert(0, str(root))
    from bot.issue import Issue
    from bot.rules import load_rules
    from bot.triage import triage

    rules = load_rules(root / "rules")
    out = {}
    for case in _cases(paths):
        verdict = triage(Issue(case["title"] or "", case["body"] or "", case.get("repo") or ""), rules)
        out[case["id"]] = {"comment": verdict.comment, "rules": [m.rule.id for m in verdict.matches]}
    return out


# --- judging ------------------------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{(?:cu_version|torch_version|mmcv_version|environment-name)\}|\{\{\w+\}\}")
_DETAILS = re.compile(r"<details>.*?</details>", re.S)
_FENCED = re.compile(r"^(`{3,})\n.*?\n\1$", re.S | re.M)
_PIN = re.compile(r"\b(mmcv-full|mmcv)==([0-9][\w.]*[0-9a-z])")
_ASSERTION = re.compile(r"is used but incompat\w*\.?\s*Please install (mmcv-full|mmcv)\s?([^\n]{0,120})", re.I)
_PIP_CONFLICT = re.compile(r"requires (mmcv-full|mmcv)([<>=!][^ ]{1,60}), but you have", re.I)
_BOUND = re.compile(r"(>=|<=|>|<)\s?(\((?:\s?-?\d+,?){1,8}\)|[0-9][\w.]*[0-9a-z])")
_INSTALLED = re.compile(r"\bMMCV\s?==\s?(\d+)\.|but you have mmcv(?:-full)? (\d+)\.", re.I)
_INTERNAL = ("Contradictory", "(ignored)", "cuda-version-mismatch", "gpu-not-in-pytorch-build",
             "mmcv-without-ops", "mmcv-mmdet-incompatible", "mmcv-built-without-cuda", "windows-case-confirmed")
# What only a pasted collect_env or package list holds, read from the text itself (not through
# the bot's environment reader, whose reading this review checks).
_PASTED_ENV = re.compile(r"^\W{0,4}(?:sys\.platform|CUDA available|GPU \d[\d,]*|MMCV (?:CUDA )?Compiler)\s*:"
                         r"|^\W{0,4}(?:Package|# Name)\s+Version\b", re.M)
_ASK = ("Please add your environment", "请补充您的环境信息", "请补充环境信息")
_COLLECT_ENV = re.compile(r"\b(mm\w+)/utils/collect_env\.py")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _outside_code(comment: str) -> str:
    return _FENCED.sub("", _DETAILS.sub("", comment))


def _bounds(text: str) -> list[tuple[str, tuple[int, ...], bool]]:
    bounds = []
    for op, value in _BOUND.findall(text):
        numbers = tuple(int(n) for n in re.findall(r"\d+", value.split("rc")[0]))[:3]
        bounds.append((op, numbers, "rc" in value))
    return bounds


def _in_range(version: str, bounds) -> bool:
    from bot.version import parse_version

    found = parse_version(version)
    if found is None:
        return True
    for op, numbers, pre in bounds:
        bound_text = ".".join(map(str, numbers))
        bound = parse_version(bound_text)
        if bound is None:
            continue
        if op == "<=" and len(numbers) < 3:  # mmdet 2.x's list comparison refuses 1.3.0 for "<=1.3"
            op, bound = "<", parse_version(bound_text + ".0" * (3 - len(numbers)))
        if pre and op in (">=", ">"):
            continue  # a pre-release lower bound (2.0.0rc4): every final release above passes
        if (op == ">=" and not found >= bound) or (op == ">" and not found > bound) or \
                (op == "<" and not found < bound) or (op == "<=" and not found <= bound):
            return False
    return True


def judge(case: dict, comment: str | None) -> list[str]:
    """The mechanically checkable defects of one reply."""
    from bot.environment import parse_environment
    from bot.reference_tables import compute_capability

    if not comment:
        return []
    flags = []
    title, body = case["title"] or "", case["body"] or ""
    issue_text = title + "\n" + body
    outside = _outside_code(comment)
    env = parse_environment(body)
    if _TEMPLATE.search(_DETAILS.sub("", comment)):
        flags.append("unfilled-template")
    installed = {int(a or b) for a, b in _INSTALLED.findall(issue_text)}
    if env.mmcv is not None:
        installed.add(env.mmcv.release[0])
    if env.mmcv_package == "mmcv-lite":
        installed.add(2)
    if env.mmcv_package == "mmcv-full":
        installed.add(1)
    two = installed == {2} or (not installed and (
        (env.mmdet is not None and env.mmdet.release[0] == 3) or env.mmengine is not None
        or re.search(r"Please install mmcv>=2|requires mmcv<2\.\d|requires mmcv>=2", issue_text)))
    asks_1x = re.search(r"Please install mmcv(?:-full)?>=\(?1\b|requires mmcv(?:-full)?[^,\s]*>=1\.", issue_text)
    # mmcv-full is the right name where the reporter's error asks for MMCV 1.x, or they have it too
    if (two and not asks_1x and "mmcv-full" in outside
            and not any(name == "mmcv-full" for name, _ in env.mmcv_distributions)):
        flags.append("mmcv-full-to-2x")
    printed = _ASSERTION.search(issue_text) or _PIP_CONFLICT.search(issue_text)
    if printed:
        bounds = _bounds(printed[2])
        if any(not _in_range(version, bounds) for _, version in _PIN.findall(comment)):
            flags.append("outside-range")
    sections = comment.count("\n### ")
    if len(_DETAILS.sub("", comment)) > 1500 + 1200 * max(0, sections - 1):
        flags.append("over-budget")
    if any(word in comment for word in _INTERNAL):
        flags.append("internal-wording")
    if _PASTED_ENV.search(issue_text) and any(ask in comment for ask in _ASK):
        flags.append("asks-pasted-env")
    repo = (case.get("repo") or "").rpartition("/")[2]
    from bot.reference_tables import project_named

    project = project_named(repo)
    for package in _COLLECT_ENV.findall(outside):
        if project is not None and project.package != package:
            flags.append("wrong-collect-env")
            break
    torch_known = env.pytorch is not None and (env.pytorch_cuda is not None or env.pytorch_cuda_build is False)
    if torch_known and ("{cu_version}" in comment or re.search(r"`mim install [^`]*`", outside)):
        flags.append("generic-install")
    capabilities = {compute_capability(gpu.name) for gpu in env.gpus} - {None}
    if capabilities and capabilities != {(7, 0)} and ("Volta" in outside or "TORCH_CUDA_ARCH_LIST=7.0" in outside):
        flags.append("fixed-gpu-example")
    quote = re.search(r"(?:The error in your report|您报告中的错误)[^\n]*:\n\n(`{3,})\n(.*?)\n\1", comment, re.S)
    if quote:
        quoted = quote[2].rstrip("…")
        written = html.unescape(issue_text)
        if quoted not in written and quoted not in issue_text:
            flags.append("inexact-quote")
    chinese = bool(_CJK.search(re.sub(r"```.*?```", "", comment.split("### ")[0], flags=re.S)))
    if case.get("lang") and ("zh" if chinese else "en") != case["lang"]:
        flags.append("wrong-language")
    return flags


def review(paths: list[str], comments: dict[str, dict]) -> tuple[list[tuple[dict, dict, list[str]]], dict[str, int]]:
    rows, counts = [], {}
    for case in _cases(paths):
        reply = comments.get(case["id"], {"comment": None, "rules": []})
        flags = judge(case, reply["comment"])
        for flag in flags:
            counts[flag] = counts.get(flag, 0) + 1
        rows.append((case, reply, flags))
    return rows, counts


def report(rows, counts, out: Path | None) -> str:
    answered = sum(1 for _, reply, _ in rows if reply["comment"])
    flagged = sum(1 for _, _, flags in rows if flags)
    summary = [f"positive cases: {len(rows)}; replies: {answered}; replies with a flagged defect: {flagged}", ""]
    summary += [f"  {flag:20} {count}" for flag, count in sorted(counts.items())] or ["  (none)"]
    if out is not None:
        parts = ["# Replies on the positive cases\n", "```\n" + "\n".join(summary) + "\n```\n"]
        for case, reply, flags in rows:
            parts.append(
                f"\n---\n\n## {case['id']} ({case.get('repo', '')}, {case.get('lang', '')})\n\n"
                f"expected {case['expected']}, answered {reply['rules']}; flags: {', '.join(flags) or 'none'}\n\n"
                f"**Title:** {case['title']}\n\n<details><summary>Body</summary>\n\n````\n{(case['body'] or '')[:4000]}\n````\n"
                f"\n</details>\n\n{reply['comment'] or '*(silent)*'}\n"
            )
        out.write_text("".join(parts), encoding="utf-8")
    return "\n".join(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="+")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--emit", type=Path)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--comments", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.emit:
        args.emit.write_text(json.dumps(emit(args.corpus, args.root), ensure_ascii=False), encoding="utf-8")
        return
    sys.path.insert(0, str(ROOT))
    comments = json.loads(args.comments.read_text(encoding="utf-8")) if args.comments else emit(args.corpus, ROOT)
    rows, counts = review(args.corpus, comments)
    if args.json:
        print(json.dumps({"counts": counts, "cases": {case["id"]: flags for case, _, flags in rows if flags}}, indent=2))
    else:
        print(report(rows, counts, args.out))


if __name__ == "__main__":
    main()
