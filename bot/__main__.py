"""Command line: triage, eval, rules check, config check, replay, shadow report, stats, deliver (and the
service commands)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.issue import Issue
from bot.rules import RuleError, RuleSet, load_rules
from bot.settings import DEFAULT_RULES


def _rules_dir(args: argparse.Namespace) -> Path:
    """--rules, else $FAQBOT_RULES, else the repository's rules/."""
    return Path(args.rules or os.environ.get("FAQBOT_RULES") or DEFAULT_RULES)


def _rules(args: argparse.Namespace) -> RuleSet:
    return load_rules(_rules_dir(args))


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
    entries = _faq_entries(args.faq) if args.faq else ()  # a bad FAQ is refused before the slow checks
    problems = check_rules(rules)
    for problem in problems:
        print(f"{problem.rule}: {problem.message}")
    examples = sum(len(r.examples_match) + len(r.examples_no_match) for r in rules.rules)
    verdict = "FAILED" if problems else "ok"
    print(f"rules check {verdict}: {len(rules)} rules, {examples} examples, {len(problems)} problems")
    uncovered = _report_faq_coverage(args.faq, entries, rules) if args.faq else 0
    return 1 if problems or uncovered else 0


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


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """`db upgrade`: run the schema migrations the database has not run yet (the service also runs them at start)."""
    from bot.jobs import MIGRATIONS, Store

    settings = _service_settings(args)
    store = Store(settings.database, settings.db_synchronous, settings.db_busy_timeout, upgrade=False)
    before = store.schema_version()
    ran = store.upgrade()
    described = dict((version, description) for version, description, _ in MIGRATIONS)
    for version in ran:
        print(f"ran migration {version}: {described[version]}")
    after = store.schema_version()
    print(f"database {settings.database}: schema at version {after}"
          + (f" (was {before})" if ran else " (already current)"))
    store.close()
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    """`jobs [list | retry ID | retry --all]`: failed jobs with their errors; queue them again."""
    from bot.jobs import Store

    settings = _service_settings(args)
    store = Store.from_settings(settings)
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


# --- FAQ drift: `rules import FAQ.md` drafts rules, `rules check --faq FAQ.md` lists what no rule covers ---

def _faq_entries(path: str):
    from bot.faq import FaqError, parse_faq, read_faq

    text = read_faq(path)
    try:
        entries = parse_faq(text)
    except FaqError as error:
        raise FaqError(f"{path}: {error}") from error
    if not entries:
        raise FaqError(f"{path}: no FAQ entries found (expected '- ...' list items under headings, "
                       "or headings with text below)")
    return entries


def _report_faq_coverage(path: str, entries, rules: RuleSet) -> int:
    """Print the FAQ entries no rule covers, with their line; return how many there are."""
    from bot.faq_coverage import coverage

    found = coverage(entries, rules)
    uncovered = [item for item in found if not item.covered]
    for item in uncovered:
        print(f"{path}:{item.entry.line}: {item.entry.lead}\n    not covered: {item.reason}")
    covered = len(found) - len(uncovered)
    print(f"FAQ {path}: {len(found)} entries, {covered} covered by rules, {len(uncovered)} not covered")
    return len(uncovered)


def cmd_rules_import(args: argparse.Namespace) -> int:
    """`rules import FAQ.md [--out DIR] [--url URL]`: a draft rule per uncovered FAQ entry that quotes an error."""
    from bot.faq_import import Draft, DraftError, plan_import, write_draft

    if args.url and not args.url.startswith("https://"):
        raise ValueError(f"--url {args.url}: must be an https:// link to the FAQ page")
    entries = _faq_entries(args.faq)
    rules = _rules(args)
    out = Path(args.out) if args.out else _rules_dir(args) / "drafts"
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: is a file; give a folder for the drafts")
    counts = {"written": 0, "kept": 0, "human": 0, "covered": 0}
    for planned in plan_import(entries, rules, args.faq, args.url):
        where = f"{args.faq}:{planned.entry.line}"
        if not isinstance(planned, Draft):
            if planned.covered_by:
                counts["covered"] += 1
                continue
            counts["human"] += 1
            print(f"needs a human  {where}: {planned.entry.lead}\n    {planned.reason}", flush=True)
            continue
        try:
            target = write_draft(planned, out)
        except FileExistsError:
            counts["kept"] += 1
            print(f"kept           {out / planned.rule_id}.yaml: already there, not overwritten ({where})", flush=True)
        except DraftError as error:
            counts["human"] += 1
            print(f"needs a human  {where}: {planned.entry.lead}\n    the draft is refused: {error}", flush=True)
        else:
            counts["written"] += 1
            print(f"wrote          {target} ({where})", flush=True)
    print(f"rules import: {counts['written']} drafts written to {out}, {counts['kept']} kept as they were, "
          f"{counts['human']} entries need a human, {counts['covered']} already covered by rules")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    """`config check FILE`: validate a .github/faq-bot.yml offline, against this bot's rules."""
    from bot.config_source import rule_vocabulary
    from bot.repo_config import MAX_CONFIG_BYTES, ConfigError, load_config

    path = Path(args.file)
    raw = path.read_bytes()
    try:
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: the file is {len(raw):,} bytes; a config may be at most {MAX_CONFIG_BYTES:,} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text") from None
        config = load_config(text, str(path), *rule_vocabulary(_rules(args)))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    rules = _rules(args)
    enabled = [rule_id for rule_id in rules.ids if config.rule_enabled(rule_id)]
    print(f"{path}: ok: mode {config.mode}, {len(enabled)} of {len(rules)} rules enabled, min_score "
          f"{config.min_score:g}, language {config.language}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from bot.replay import Plan, parse_since, run_replay

    if "/" not in args.repo.strip("/"):
        print(f"error: {args.repo!r}: expected OWNER/REPO", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("error: --limit: expected a number of issues of at least 1", file=sys.stderr)
        return 2
    plan = Plan(args.repo.strip("/"), parse_since(args.since) if args.since else None, args.limit, args.restart)
    return run_replay(plan, _service_settings(args), _rules(args), args.report, args.config,
                      say=lambda line: print(line, flush=True))


def cmd_shadow_report(args: argparse.Namespace) -> int:
    """`shadow report`: what shadow mode recorded, per rule, as markdown and HTML."""
    from bot.jobs import Store
    from bot.report import web_root, write_report
    from bot.shadow import shadow_report

    settings = _service_settings(args)
    records = Store.from_settings(settings).shadow_records(args.repo)
    report = shadow_report(records, _rules(args).ids, web_root(settings.api_url), args.repo)
    markdown, page = write_report(report, args.output)
    print(f"{len(records)} would-be comment(s) on {len(report.findings)} issue(s); report: {markdown} and {page}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """`stats [--repo R] [--unmute RULE-ID]`: answers, withdrawals and removed labels per rule."""
    from bot.jobs import Store

    store = Store.from_settings(_service_settings(args))
    if args.unmute:
        if not args.repo:
            print("error: --unmute needs --repo OWNER/REPO: a rule is muted per repository", file=sys.stderr)
            return 2
        changed = store.set_muted(args.repo, args.unmute, False)
        print(f"{args.unmute} {'may answer again' if changed else 'was not muted'} in {args.repo}")
        return 0
    rows = store.rule_stats(args.repo)
    print(f"{'repository':30} {'rule':28} {'answered':>8} {'withdrawn':>9} {'labels removed':>14} {'share':>6}  muted")
    for row in rows:
        counts = row.counts
        share = f"{counts.withdrawn / counts.answered:.0%}" if counts.answered else "-"
        print(f"{row.repo:30} {row.rule_id:28} {counts.answered:8} {counts.withdrawn:9} {counts.labels_removed:14} "
              f"{share:>6}  {'yes' if row.muted else 'no'}")
    print(f"{len(rows)} rule(s) with feedback")
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    """`deliver PAYLOAD.json --event EVENT [--url URL]`: sign and send a delivery to a running bot."""
    from bot.deliver import send_delivery
    from bot.settings import Settings

    settings = Settings.from_env()
    body = Path(args.payload).read_bytes()
    secret = settings.webhook_secrets[0] if settings.webhook_secrets else None
    url = args.url or f"http://127.0.0.1:{settings.port}/webhook"
    if secret is None:
        print("note: GITHUB_WEBHOOK_SECRET is not set, so the delivery goes unsigned (only a bot started with "
              "--insecure takes it)", file=sys.stderr)
    try:
        status, answer = send_delivery(url, args.event, body, secret, args.delivery)
    except OSError as error:
        print(f"error: nothing answers at {url} ({error}): start the bot with `python -m bot serve`", file=sys.stderr)
        return 2
    print(status, json.dumps(answer))
    return 0 if status < 300 else 1


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
    check.add_argument("--faq", metavar="FAQ.md", help="also list the entries of this markdown FAQ that no rule "
                                                       "covers; exit status 1 when some are")
    check.set_defaults(handler=cmd_rules_check)
    faq_import = rule_commands.add_parser(
        "import", help="draft rules for review from the entries of a markdown FAQ that no rule covers")
    faq_import.add_argument("faq", metavar="FAQ.md", help="the FAQ page's markdown source")
    faq_import.add_argument("--out", metavar="DIR", help="folder for the drafts (default: drafts/ in the rules folder)")
    faq_import.add_argument("--url", help="the FAQ page's https:// link for the drafts' faq key "
                                          "(default: the link most existing rules use)")
    faq_import.set_defaults(handler=cmd_rules_import)

    config = commands.add_parser("config", help="a repository's .github/faq-bot.yml")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    config_check = config_commands.add_parser("check", help="validate a config file offline")
    config_check.add_argument("file")
    config_check.set_defaults(handler=cmd_config_check)

    replay = commands.add_parser("replay", help="triage a repository's past issues, posting nothing; report per rule")
    replay.add_argument("repo", metavar="OWNER/REPO")
    replay.add_argument("--since", help="only issues created on or after this date (2024-01-31, or ISO 8601)")
    replay.add_argument("--limit", type=int, help="triage at most this many issues (pull requests not counted)")
    replay.add_argument("--report", metavar="FILE", help="report path; .md and .html are written (default: "
                                                         "replay-OWNER-REPO)")
    replay.add_argument("--config", metavar="FILE", help="try this config instead of the repository's own")
    replay.add_argument("--restart", action="store_true", help="forget an earlier run of this command; start anew")
    replay.set_defaults(handler=cmd_replay)

    shadow = commands.add_parser("shadow", help="what shadow mode recorded")
    shadow_commands = shadow.add_subparsers(dest="shadow_command", required=True)
    shadow_report = shadow_commands.add_parser("report", help="write the report per rule (markdown and HTML)")
    shadow_report.add_argument("--repo", metavar="OWNER/REPO", help="one repository (default: all)")
    shadow_report.add_argument("--output", metavar="FILE", default="shadow-report",
                               help="report path; .md and .html are written (default: shadow-report)")
    shadow_report.set_defaults(handler=cmd_shadow_report)

    stats = commands.add_parser("stats", help="answers, withdrawals and removed labels per rule; mutes")
    stats.add_argument("--repo", metavar="OWNER/REPO", help="one repository (default: all)")
    stats.add_argument("--unmute", metavar="RULE-ID", help="with --repo: let a muted rule answer again")
    stats.set_defaults(handler=cmd_stats)

    deliver = commands.add_parser("deliver", help="sign and send a delivery to a running bot (local trials)")
    deliver.add_argument("payload", metavar="PAYLOAD.json")
    deliver.add_argument("--event", required=True, help="X-GitHub-Event: issues, issue_comment, ...")
    deliver.add_argument("--url", help="the bot's webhook (default: http://127.0.0.1:$PORT/webhook)")
    deliver.add_argument("--delivery", help="X-GitHub-Delivery (default: a new UUID)")
    deliver.set_defaults(handler=cmd_deliver)

    serve = commands.add_parser("serve", help="the webhook service: web front and a worker in one process")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8000)")
    serve.add_argument("--insecure", action="store_true",
                       help="accept unsigned deliveries when no GITHUB_WEBHOOK_SECRET is set (local development only)")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run stored deliveries' jobs (beside gunicorn)")
    worker.set_defaults(handler=cmd_worker)

    database = commands.add_parser("db", help="the bot's database (FAQBOT_DB)")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade = database_commands.add_parser("upgrade", help="run the schema migrations it has not run yet")
    upgrade.set_defaults(handler=cmd_db_upgrade)

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
    except Exception as error:
        from bot.database import STORE_ERRORS  # here: a command that needs no database loads no driver

        if not isinstance(error, STORE_ERRORS):
            raise
        print(f"error: database {_database_named()}: {_scrubbed(str(error))}", file=sys.stderr)
        return 2


def _database_named() -> str:
    from bot.settings import DatabaseUrl

    try:
        return str(DatabaseUrl.parse(os.environ.get("FAQBOT_DB") or "faqbot.sqlite3"))
    except ValueError:
        return "(FAQBOT_DB)"


def _scrubbed(message: str) -> str:
    from bot.settings import DatabaseUrl

    try:
        return DatabaseUrl.parse(os.environ.get("FAQBOT_DB") or "faqbot.sqlite3").scrub(message)
    except ValueError:
        return message


if __name__ == "__main__":
    sys.exit(main())
