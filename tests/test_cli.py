"""The command line as a maintainer runs it: python -m bot triage / eval / rules check."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_triage_reads_markdown_from_stdin_and_prints_the_comment():
    done = run("triage", "-", stdin="RuntimeError: nms is not compiled with GPU support\n")
    assert done.returncode == 0
    assert "<!-- faq-bot -->" in done.stdout and "nms" in done.stdout


def test_triage_json_from_a_file(tmp_path):
    issue = tmp_path / "issue.json"
    issue.write_text(json.dumps({"title": "段错误", "body": "运行 mmdet 训练时出现 Segmentation fault (core dumped)，怎么办？"}))
    done = run("triage", str(issue), "--json")
    view = json.loads(done.stdout)
    assert view["language"] == "zh"
    assert [m["rule"] for m in view["matches"]] == ["segfault"]
    assert view["labels"] == ["faq", "installation"]
    assert view["comment"].startswith("<!-- faq-bot -->")


def test_triage_of_an_unrelated_issue_is_silent():
    done = run("triage", "--json", "-", stdin=json.dumps({"title": "What is lr?", "body": None}))
    view = json.loads(done.stdout)
    assert view["comment"] is None and view["matches"] == []


def test_eval_reports_precision_recall_and_wrong_cases(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    cases = [
        {"id": "a", "title": "t", "body": "mmcv: RuntimeError: CUDA error: invalid configuration argument", "expected": ["cuda-invalid-config"]},
        {"id": "b", "title": "question", "body": "how to train?", "expected": []},
        {"id": "c", "title": "crash", "body": "it fails, see screenshot", "expected": ["segfault"]},
    ]
    corpus.write_text("\n".join(json.dumps(case) for case in cases) + "\n")
    text = run("eval", str(corpus)).stdout
    assert "precision: 1.000  recall: 0.500" in text
    assert "c: expected ['segfault'] predicted []" in text
    view = json.loads(run("eval", str(corpus), "--json").stdout)
    assert view["precision"] == 1.0 and view["recall"] == 0.5
    assert {"id": "c", "expected": ["segfault"], "predicted": []} in view["cases"]


def test_rules_check_passes_on_the_shipped_rules():
    done = run("rules", "check")
    assert done.returncode == 0, done.stdout
    assert "rules check ok: 15 rules" in done.stdout


def test_rules_check_names_a_broken_rule(tmp_path):
    (tmp_path / "broken-rule.yaml").write_text("id: broken-rule\ntitle: {en: x, zh: y}\n")
    done = run("--rules", str(tmp_path), "rules", "check")
    assert done.returncode == 2
    assert "broken-rule.yaml" in done.stderr and "missing required key" in done.stderr


def test_a_bad_corpus_line_is_named(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "title": "t", "body": "b", "expected": []}\nnot json\n')
    done = run("eval", str(corpus))
    assert done.returncode == 2 and f"{corpus}:2:" in done.stderr


def test_eval_reports_several_corpora_together_and_apart(tmp_path):
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first.write_text(json.dumps({"id": "a", "title": "t", "body": "RuntimeError: nms is not compiled with GPU support",
                                 "expected": ["nms-no-gpu"]}) + "\n")
    second.write_text(json.dumps({"id": "b", "title": "t", "body": "KeyError: 'COCODataset is not in the dataset registry'",
                                  "expected": []}) + "\n")
    text = run("eval", str(first), str(second)).stdout
    assert "one.jsonl (1 cases): precision: 1.000  recall: 1.000" in text
    assert "two.jsonl (1 cases): precision: 1.000  recall: 1.000" in text
    assert "hints (no FAQ entry, not counted above): 1" in text and "suggestion=CocoDataset" in text
    view = json.loads(run("eval", str(first), str(second), "--json").stdout)
    assert view["cases_total"] == 2 and set(view["corpora"]) == {"one.jsonl", "two.jsonl"}


def test_triage_explain_prints_why_rules_did_not_answer():
    body = "the Jupyter kernel died, mmdet 3.1\n"
    done = run("triage", "--explain", "-", stdin=body)
    assert "answered: none" in done.stderr
    assert "segfault: an error described in words on line 1, but nothing places it" in done.stderr
