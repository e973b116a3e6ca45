"""Hostile and broken issues: each gets a clean verdict (silence or a match), never an exception."""

import random
import time
from pathlib import Path

import pytest

from bot.issue import Issue
from bot.rules import load_rules
from bot.triage import triage

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")
# Generous on purpose: these guard against runaway (quadratic, backtracking) cost, not speed.
# Speed itself is measured by bench/bench_triage.py.
RUNAWAY_SECONDS = 2.0


def timed_triage(issue):
    started = time.perf_counter()
    verdict = triage(issue, RULES)
    assert time.perf_counter() - started < RUNAWAY_SECONDS
    return verdict


@pytest.mark.parametrize("body", [None, "", "   \n\n  ", "\x00\x01\x02"])
def test_empty_missing_or_null_body_is_silence(body):
    assert timed_triage(Issue("", body)).comment is None


def test_non_text_title_and_body_are_treated_as_empty():
    assert timed_triage(Issue(None, 12345)).comment is None  # type: ignore[arg-type]


def test_one_megabyte_of_text_is_read_within_bounds():
    body = ("lorem ipsum dolor sit amet " * 40 + "\n") * 1_000
    assert len(body) > 1_000_000
    assert timed_triage(Issue("big", body)).comment is None


def test_error_at_the_end_of_a_huge_log_is_still_found():
    body = "epoch 1 loss 0.5\n" * 80_000 + "ModuleNotFoundError: No module named 'mmcv._ext'\n"
    assert [m.rule.id for m in timed_triage(Issue("", body)).matches] == ["mmcv-ops-missing"]


def test_binary_junk_is_silence():
    junk = bytes(random.Random(7).randrange(256) for _ in range(200_000)).decode("latin-1")
    assert timed_triage(Issue("\x89PNG", junk)).comment is None


def test_unbalanced_code_fences_do_not_hide_the_error():
    body = "```\n```python\nRuntimeError: CUDA error: invalid configuration argument\n~~~\n(mmcv 1.7.0)\n"
    assert [m.rule.id for m in timed_triage(Issue("", body)).matches] == ["cuda-invalid-config"]


def test_thousands_of_lines_of_errors_are_bounded():
    body = "".join(f"RuntimeError: failure number {n} in worker\n" for n in range(20_000))
    verdict = timed_triage(Issue("", body))
    assert verdict.comment is None
    assert len(verdict.signatures) <= 200


def test_a_body_that_is_only_an_environment_dump_is_silence():
    body = (
        "sys.platform: linux\nPython: 3.8.10\nCUDA available: True\nGPU 0: Tesla K80\n"
        "PyTorch: 1.10.0+cu113\nMMCV: 1.4.0\nMMCV Compiler: GCC 7.3\nMMCV CUDA Compiler: 11.3\n"
    )
    verdict = timed_triage(Issue("env", body))
    assert verdict.comment is None and verdict.env.pytorch is not None


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 65_536,
        ("is not in the " * 4_000)[:65_536],
        "KeyError: '" + "x" * 65_000,
        ("undefined symbol " + "_" * 1_000 + "\n") * 60,
        ("(" * 30_000) + (")" * 30_000),
        ("Segmentation" + " " * 1_990 + "\n") * 30,
        "\n".join("No module named " + "'" * 1_500 for _ in range(40)),
    ],
)
def test_text_crafted_to_stress_regexes_finishes_quickly(hostile):
    timed_triage(Issue(hostile[:200], hostile))
