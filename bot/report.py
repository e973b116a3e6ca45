"""Reports for maintainers judging the rules before the bot speaks: per rule, how often it fired, on
which issues, and the text it would have posted; as markdown and as a self-contained HTML page with
an inline SVG chart (pure, but for `write_report`).

`python -m bot shadow report` (what shadow mode recorded) and `python -m bot replay` (a repository's
past issues) both write one. Issues are named `OWNER/REPO#N` and linked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

MAX_LINKS_IN_TABLE = 12  # issues named in a rule's row of the summary table; its section names them all
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!])")


@dataclass(frozen=True)
class Finding:
    """What the bot would have posted on one issue."""

    issue: str  # OWNER/REPO#N
    url: str
    title: str
    rules: tuple[str, ...]
    labels: tuple[str, ...]
    comment: str


@dataclass(frozen=True)
class Report:
    title: str
    summary: tuple[tuple[str, str], ...]  # (what, how many) lines above the table
    findings: tuple[Finding, ...]
    rules: tuple[str, ...] = ()  # every rule in force, so those that never fired are listed too


def by_rule(report: Report) -> list[tuple[str, list[Finding]]]:
    """Each rule with the findings it fired on; most fired first, then by id."""
    fired: dict[str, list[Finding]] = {rule_id: [] for rule_id in report.rules}
    for finding in report.findings:
        for rule_id in finding.rules:
            fired.setdefault(rule_id, []).append(finding)
    return sorted(fired.items(), key=lambda item: (-len(item[1]), item[0]))


def issue_url(web_root: str, repo: str, number: int) -> str:
    return f"{web_root.rstrip('/')}/{repo}/issues/{number}"


def web_root(api_url: str) -> str:
    """GitHub's web address for an API root: https://github.com, or a GitHub Enterprise Server's host."""
    if api_url.rstrip("/") == "https://api.github.com":
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")


# -- markdown -----------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_link(finding: Finding) -> str:
    return f"[{finding.issue}]({finding.url})"


def _fenced(text: str) -> str:
    """A fence the comment cannot close: longer than any backtick run in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(4, longest + 1)
    return f"{fence}markdown\n{text.rstrip()}\n{fence}"


def render_markdown(report: Report) -> str:
    lines = [f"# {_md(report.title)}", ""]
    lines += [f"- {what}: {value}" for what, value in report.summary]
    rules = by_rule(report)
    lines += ["", "| rule | fired | issues |", "| --- | ---: | --- |"]
    for rule_id, findings in rules:
        shown = ", ".join(_md_link(finding) for finding in findings[:MAX_LINKS_IN_TABLE])
        more = f" and {len(findings) - MAX_LINKS_IN_TABLE} more" if len(findings) > MAX_LINKS_IN_TABLE else ""
        lines.append(f"| `{rule_id}` | {len(findings)} | {shown or '—'}{more} |")
    for rule_id, findings in rules:
        if not findings:
            continue
        lines += ["", f"## `{rule_id}`: {len(findings)} issue{'s' if len(findings) != 1 else ''}"]
        for finding in findings:
            labels = ", ".join(f"`{label}`" for label in finding.labels) or "none"
            lines += ["", f"### {_md_link(finding)}: {_md(finding.title)}", "", f"Labels: {labels}", "",
                      "<details><summary>What faq-bot would have posted</summary>", "", _fenced(finding.comment), "",
                      "</details>"]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1f2328; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #d0d7de; padding: .3em .6em; }
th { background: #f6f8fa; } td.n { text-align: right; } code { background: #f6f8fa; padding: 0 .2em; }
pre { background: #f6f8fa; padding: 1em; overflow-x: auto; white-space: pre-wrap; }
details { margin: .5em 0 1.5em; } svg text { font: 13px system-ui, sans-serif; }
"""


def _chart(rules: list[tuple[str, list[Finding]]]) -> str:
    """Horizontal bars: how many issues each rule fired on."""
    row, label_width, bar_width = 24, 230, 420
    most = max((len(findings) for _, findings in rules), default=0) or 1
    bars = []
    for index, (rule_id, findings) in enumerate(rules):
        y = index * row
        width = round(bar_width * len(findings) / most)
        bars.append(f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{html.escape(rule_id)}</text>'
                    f'<rect x="{label_width}" y="{y + 4}" width="{width}" height="{row - 8}" fill="#2da44e"/>'
                    f'<text x="{label_width + width + 6}" y="{y + 16}">{len(findings)}</text>')
    height = max(row, row * len(rules))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 60}" height="{height}" '
            f'role="img" aria-label="issues per rule">{"".join(bars)}</svg>')


def _html_link(finding: Finding) -> str:
    return f'<a href="{html.escape(finding.url)}">{html.escape(finding.issue)}</a>'


def render_html(report: Report) -> str:
    rules = by_rule(report)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(report.title)}</h1>", "<ul>"]
    parts += [f"<li>{html.escape(what)}: {html.escape(value)}</li>" for what, value in report.summary]
    parts += ["</ul>", _chart(rules), "<table><tr><th>rule</th><th>fired</th><th>issues</th></tr>"]
    for rule_id, findings in rules:
        shown = ", ".join(_html_link(finding) for finding in findings[:MAX_LINKS_IN_TABLE])
        more = f" and {len(findings) - MAX_LINKS_IN_TABLE} more" if len(findings) > MAX_LINKS_IN_TABLE else ""
        parts.append(f'<tr><td><code>{html.escape(rule_id)}</code></td><td class="n">{len(findings)}</td>'
                     f"<td>{shown or '—'}{more}</td></tr>")
    parts.append("</table>")
    for rule_id, findings in rules:
        if not findings:
            continue
        parts.append(f'<h2 id="{html.escape(rule_id)}"><code>{html.escape(rule_id)}</code>: {len(findings)}</h2>')
        for finding in findings:
            labels = ", ".join(f"<code>{html.escape(label)}</code>" for label in finding.labels) or "none"
            parts += [f"<h3>{_html_link(finding)}: {html.escape(finding.title)}</h3>", f"<p>Labels: {labels}</p>",
                      "<details><summary>What faq-bot would have posted</summary>",
                      f"<pre>{html.escape(finding.comment)}</pre></details>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(report: Report, path: str | Path) -> tuple[Path, Path]:
    """The report as ``path`` with the suffixes .md and .html; returns both paths."""
    base = Path(path)
    if base.suffix in (".md", ".html"):
        base = base.with_suffix("")
    markdown, page = base.with_name(base.name + ".md"), base.with_name(base.name + ".html")
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(render_markdown(report), encoding="utf-8")
    page.write_text(render_html(report), encoding="utf-8")
    return markdown, page
