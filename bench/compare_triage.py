"""Triage speed of this checkout against another, side by side: the two alternate, run after run.

Run: .venv/bin/python bench/compare_triage.py BASE_CHECKOUT [--runs 4] [--corpus dev.jsonl]

BASE_CHECKOUT is a folder holding another commit of faq-bot (`git worktree add /tmp/base 1c3fd45`); a
commit older than the build log needs this bench/bench_triage.py copied into it.
Each run times, in a fresh process pinned to one core, the FAQ's rules of each checkout with that
checkout's own bench/bench_triage.py: the dev-set median (each issue the median of 5 runs), the
64 KB log and the 64 KB build log (median of 9 each), in wall time and in CPU time (time.thread_time). On a shared machine wall
time swings from run to run; alternating puts what else runs on both alike. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside each checkout's own process: its bot package, its rules, its bench functions.
_ONE_RUN = """
import json, os, statistics, sys, time
root, corpus = sys.argv[1], sys.argv[2]
sys.path[:0] = [root, root + "/bench"]
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from bot.evaluate import read_corpus
from bot.issue import Issue
from bot.rules import load_rules
import bench_triage
rules = load_rules(root + "/rules")
issues = [Issue(case.title, case.body) for case in read_corpus(corpus)]
big = Issue("Training fails", bench_triage.log_body())
build = Issue("Training fails", bench_triage.build_log())
out = {}
for clock in ("wall", "cpu"):
    if clock == "cpu":
        time.perf_counter = time.thread_time  # the bench's own timing, on the thread's CPU clock
    out[clock] = [statistics.median(bench_triage.corpus_times(issues, rules)), bench_triage.time_one(big, rules, 9),
                  bench_triage.time_one(build, rules, 9)]
print(json.dumps(out))
"""


def one_run(checkout: Path, corpus: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _ONE_RUN, str(checkout), corpus],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="another checkout of faq-bot")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "dev.jsonl"))
    args = parser.parse_args()
    rows = []
    for number in range(1, args.runs + 1):
        print(f"run {number} of {args.runs}", file=sys.stderr, flush=True)
        base, now = one_run(args.base.resolve(), args.corpus), one_run(ROOT, args.corpus)
        for clock in ("wall", "cpu"):
            rows.append((number, clock, base[clock], now[clock]))
    print("| run | base dev median | this dev median | base 64 KB log | this 64 KB log | base build log | this build log |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for number, clock, base, now in rows:
        print(f"| {number}, {clock} | {base[0] * 1000:.3f} ms | {now[0] * 1000:.3f} ms"
              f" | {base[1] * 1000:.2f} ms | {now[1] * 1000:.2f} ms | {base[2] * 1000:.2f} ms | {now[2] * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
