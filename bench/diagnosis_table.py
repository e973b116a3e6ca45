"""Which diagnoses fire on a labelled corpus, and on what facts: a markdown table to judge by hand.

Usage: python bench/diagnosis_table.py ../shared/corpus/dev.jsonl [--all-rules]
Each case's ``expected`` rule ids stand in for the matcher, so this measures the diagnoses alone.
With --all-rules every rule that declares diagnoses counts as matched: a stress test of the facts
(would any diagnosis state something false about this environment?), not of relevance.
It also prints the rules whose conditions the environment contradicts, and parse timings.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.diagnosis import diagnose  # noqa: E402
from bot.matcher import env_allows  # noqa: E402
from bot.rules import load_rules  # noqa: E402
from bot.environment import parse_environment  # noqa: E402


def main(corpus: str, all_rules: bool = False) -> None:
    cases = [json.loads(line) for line in Path(corpus).read_text(encoding="utf-8").splitlines() if line.strip()]
    shipped = load_rules(Path(__file__).resolve().parent.parent / "rules")
    fired: dict[str, list[str]] = {}
    ruled_out: list[str] = []
    with_env = asking = 0
    started = time.perf_counter()
    for case in cases:
        env = parse_environment(case.get("body") or "")
        if all_rules:
            rules = [rule for rule in shipped.rules if rule.diagnoses]
        else:
            rules = [rule for rule in shipped.rules if rule.id in case["expected"]]
        with_env += not env.is_empty()
        asking += bool(env.is_empty() and any(rule.asks_environment for rule in rules))
        for found in diagnose(env, rules):
            facts = "; ".join(f"{key}: {value}" for key, value in found.facts.items())
            expected = ", ".join(case["expected"]) or "none"
            fired.setdefault(found.id, []).append(f"{case['id']} (expected: {expected}) — {facts}")
        ruled_out += [f"{case['id']}: {rule.id}" for rule in rules if not env_allows(rule, env)]
    elapsed = time.perf_counter() - started
    print(f"{len(cases)} cases; environment read in {with_env}; would ask for collect_env in {asking}; "
          f"parse + diagnose {elapsed * 1000:.1f} ms in all\n")
    print("| diagnosis | case (expected rules) — facts |\n| --- | --- |")
    for diagnosis_id, rows in sorted(fired.items()):
        for row in rows:
            print(f"| {diagnosis_id} | {row} |")
    print(f"\nRules counted as matched that the environment rules out ({len(ruled_out)}): {ruled_out or 'none'}")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--all-rules"]
    main(arguments[0] if arguments else "../shared/corpus/dev.jsonl", "--all-rules" in sys.argv)
