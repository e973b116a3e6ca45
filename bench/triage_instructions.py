"""Instructions per triage, counted by valgrind: a measure that does not swing with the machine.

Run: .venv/bin/python bench/triage_instructions.py [dev|big|build|joined] [CHECKOUT]

Runs this script's own loop twice under `valgrind --tool=cachegrind --cache-sim=no`: once loading
the rules and issues only, once triaging every issue three times more; the difference divided by
the triages is the instructions one triage costs. "dev" is the dev set (its mean), "big" the 64 KB
body of bench_triage.py (log pieces repeated), "build" its Windows build log of MMCV's ops (a
line hardly repeated), "joined" the dev set's bodies one after another up
to 64 KB (real text that hardly repeats a line). CHECKOUT (default: this one) is the faq-bot
folder to measure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3


def _loop(checkout: str, corpus: str, repeats: int) -> None:
    sys.path[:0] = [checkout, str(Path(checkout) / "bench")]
    from bot.evaluate import read_corpus
    from bot.issue import Issue
    from bot.rules import load_rules
    from bot.triage import triage
    import bench_triage

    rules = load_rules(Path(checkout) / "rules")
    if corpus == "big":
        issues = [Issue("Training fails", bench_triage.log_body())]
    elif corpus == "build":
        issues = [Issue("Training fails", bench_triage.build_log())]
    elif corpus.startswith("joined:"):
        cases = read_corpus(corpus[len("joined:"):])
        issues = [Issue("Training fails", bench_triage.joined_bodies([Issue(case.title, case.body) for case in cases]))]
    else:
        issues = [Issue(case.title, case.body) for case in read_corpus(corpus)]
    for issue in issues:  # warm: compiled patterns, caches
        triage(issue, rules)
    for _ in range(repeats):
        for issue in issues:
            triage(issue, rules)
    print(f"issues={len(issues)}", file=sys.stderr)


def _count(checkout: str, corpus: str, repeats: int) -> tuple[int, int]:
    # One hash seed for every count: set and dict layouts, and with them the work, differ from seed
    # to seed (by up to 5 % on the 64 KB body), which would hide a change of that size.
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           sys.executable, __file__, "--loop", checkout, corpus, str(repeats)],
                          capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    instructions = int(re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)[1].replace(",", ""))
    return instructions, int(re.search(r"issues=(\d+)", done.stderr)[1])


def main() -> None:
    if sys.argv[1:2] == ["--loop"]:
        _loop(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    which = sys.argv[1] if len(sys.argv) > 1 else "dev"
    checkout = str(Path(sys.argv[2]).resolve()) if len(sys.argv) > 2 else str(ROOT)
    dev = str(ROOT.parent / "shared" / "corpus" / "dev.jsonl")
    corpus = {"big": "big", "build": "build", "joined": "joined:" + dev}.get(which, dev)
    print("counting (two runs under valgrind, about a minute)...", file=sys.stderr, flush=True)
    loaded, issues = _count(checkout, corpus, 0)
    worked, _ = _count(checkout, corpus, REPEATS)
    print(f"{checkout} {which}: {(worked - loaded) / (REPEATS * issues) / 1e6:.2f} M instructions per triage")


if __name__ == "__main__":
    main()
