"""Command line: triage, eval, rules check (and the service commands)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.issue import Issue
from bot.rules import RuleError, RuleSet, load_rules
from bot.settings import DEFAULT_RULES


def _rules(args: argparse.Namespace) -> RuleSet:
    return load_rules(args.rules or os.environ.get("FAQBOT_RULES") or DEFAULT_RULES)


def _read_issue(source: str) -> Issue:
    """A JSON object with title and body (and optionally repo), or plain markdown taken as the body."""
    raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return Issue("", text)
    if isinstance(data, dict) and ("title" in data or "body" in data):
        title, body, repo = data.get("title"), data.get("body"), data.get("repo")
        return Issue(
            title if isinstance(title, str) else "",
            body if isinstance(body, str) else None,
            repo if isinstance(repo, str) else "",
        )
    return Issue("", text)


def cmd_triage(args: argparse.Namespace) -> int:
    from bot.triage import explain_triage, triage

    issue, rules = _read_issue(args.file), _rules(args)
    verdict = triage(issue, rules)
    if args.explain:
        lines = explain_triage(issue, rules)
        answered = ", ".join(m.rule.id for m in verdict.matches) or "none"
        print(f"answered: {answered}", file=sys.stderr)
        for line in lines or ["(no other rule came close)"]:
            print(line, file=sys.stderr)
    if args.json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2))
    elif verdict.comment is None:
        print("(no FAQ entry matches: the bot stays silent)", file=sys.stderr)
    else:
        print(verdict.comment, end="")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluate import evaluate_corpora, format_report, read_corpus

    rules = _rules(args)
    report = evaluate_corpora(((Path(path).name, list(read_corpus(path))) for path in args.corpus), rules)
    print(json.dumps(report.as_json(), indent=2) if args.json else format_report(report))
    return 0


def cmd_rules_check(args: argparse.Namespace) -> int:
    from bot.rule_check import check_rules

    rules = _rules(args)
    problems = check_rules(rules)
    for problem in problems:
        print(f"{problem.rule}: {problem.message}")
    examples = sum(len(r.examples_match) + len(r.examples_no_match) for r in rules.rules)
    verdict = "FAILED" if problems else "ok"
    print(f"rules check {verdict}: {len(rules)} rules, {examples} examples, {len(problems)} problems")
    return 1 if problems else 0


def _service_settings(args: argparse.Namespace):
    """The service's settings from the environment; --rules, when given, wins over $FAQBOT_RULES."""
    import dataclasses

    from bot.settings import Settings

    settings = Settings.from_env()
    return dataclasses.replace(settings, rules_dir=args.rules) if args.rules else settings


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.devserver import serve

    return serve(args.host, args.port, args.insecure, settings=_service_settings(args))


def cmd_worker(args: argparse.Namespace) -> int:
    from bot.worker import run_worker

    return run_worker(_service_settings(args))


def cmd_jobs(args: argparse.Namespace) -> int:
    """`jobs [list | retry ID | retry --all]`: failed jobs with their errors; queue them again."""
    from bot.jobs import SqliteStore

    settings = _service_settings(args)
    store = SqliteStore.from_settings(settings)
    if args.action == "retry":
        if args.job_id is None and not args.all:
            print("jobs retry: give a job id or --all")
            return 2
        count = store.retry(None if args.all else args.job_id)
        print(f"{count} job(s) queued again")
        return 0 if count or args.all else 1
    failed = store.list_failed()
    for job in failed:
        print(f"{job.id}\t{job.event}\t{job.issue_key}\tattempts={job.attempts}\t{job.error}")
    print(f"{len(failed)} failed job(s); counts: {json.dumps(store.counts())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="faq-bot: answers FAQ issues on GitHub")
    parser.add_argument("--rules", help="rules folder (default: $FAQBOT_RULES or rules/)")
    commands = parser.add_subparsers(dest="command", required=True)

    triage = commands.add_parser("triage", help="triage one issue and print the comment")
    triage.add_argument("file", nargs="?", default="-", help="JSON {title, body} or markdown; - for stdin")
    triage.add_argument("--json", action="store_true", help="print matches, labels, language, env, comment")
    triage.add_argument("--explain", action="store_true",
                        help="also print (to stderr) why each rule that came close did not answer")
    triage.set_defaults(handler=cmd_triage)

    evaluation = commands.add_parser("eval", help="precision and recall on labelled corpora (JSON lines)")
    evaluation.add_argument("corpus", nargs="+", help="one or more corpora: reported together and apart")
    evaluation.add_argument("--json", action="store_true")
    evaluation.set_defaults(handler=cmd_eval)

    rules = commands.add_parser("rules", help="rule maintenance")
    rule_commands = rules.add_subparsers(dest="rules_command", required=True)
    check = rule_commands.add_parser("check", help="load the rules and run every rule's examples")
    check.set_defaults(handler=cmd_rules_check)

    serve = commands.add_parser("serve", help="the webhook service: web front and a worker in one process")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8000)")
    serve.add_argument("--insecure", action="store_true",
                       help="accept unsigned deliveries when no GITHUB_WEBHOOK_SECRET is set (local development only)")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run stored deliveries' jobs (beside gunicorn)")
    worker.set_defaults(handler=cmd_worker)

    jobs = commands.add_parser("jobs", help="list failed jobs, or queue them again")
    jobs.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    jobs.add_argument("job_id", nargs="?", type=int, help="with retry: the job to run again")
    jobs.add_argument("--all", action="store_true", help="with retry: every failed job")
    jobs.set_defaults(handler=cmd_jobs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except RuleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
