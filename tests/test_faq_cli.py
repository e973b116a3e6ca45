"""`rules import FAQ.md` and `rules check --faq FAQ.md` as a maintainer runs them, bad input included."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "faq"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_check_lists_the_uncovered_entries_with_their_line_and_fails():
    done = run("rules", "check", "--faq", FIXTURES / "list-en.md")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rules check ok: 15 rules" in done.stdout
    assert f'{FIXTURES / "list-en.md"}:46: "Widget pipeline stalls at epoch zero"' in done.stdout
    assert f'{FIXTURES / "list-en.md"}:50: How do I resume training?' in done.stdout
    assert f"FAQ {FIXTURES / 'list-en.md'}: 9 entries, 6 covered by rules, 3 not covered" in done.stdout


def test_check_passes_when_every_entry_is_covered(tmp_path):
    faq = tmp_path / "FAQ.md"
    faq.write_text('## Installation\n\n- "Segmentation fault"\n\n  Check GCC.\n\n- "undefined symbol"\n\n  Rebuild.\n')
    done = run("rules", "check", "--faq", faq)
    assert done.returncode == 0, done.stdout
    assert f"FAQ {faq}: 2 entries, 2 covered by rules, 0 not covered" in done.stdout


def test_import_writes_drafts_that_rules_check_loads_and_never_overwrites(tmp_path):
    out = tmp_path / "drafts"
    done = run("rules", "import", FIXTURES / "list-en.md", "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"wrote          {out / 'widget-pipeline-stalls-at-epoch-zero.yaml'}" in done.stdout
    assert "needs a human" in done.stdout and "quotes no error message" in done.stdout
    assert "1 drafts written" in done.stdout and "2 entries need a human, 6 already covered by rules" in done.stdout
    check = run("--rules", out, "rules", "check")
    assert check.returncode == 0 and "rules check ok: 1 rules" in check.stdout

    draft = out / "widget-pipeline-stalls-at-epoch-zero.yaml"
    draft.write_text(draft.read_text() + "# reviewed\n")
    again = run("rules", "import", FIXTURES / "list-en.md", "--out", out)
    assert again.returncode == 0
    assert "kept" in again.stdout and "not overwritten" in again.stdout
    assert draft.read_text().endswith("# reviewed\n")


def test_import_drafts_into_the_rules_folders_drafts_by_default(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "segfault.yaml").write_bytes((ROOT / "rules" / "segfault.yaml").read_bytes())
    done = run("--rules", rules, "rules", "import", FIXTURES / "headings-zh.md")
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in (rules / "drafts").iterdir()) == [
        "invalid-device-function.yaml", "widget-loader-refused-the-annotation.yaml",
    ]


def bad_faqs(tmp_path):
    (tmp_path / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00" * 10)
    (tmp_path / "huge.md").write_text('- "DemoError: widget"\n' * 50_000)
    (tmp_path / "latin1.md").write_bytes('- "caf\xe9"\n'.encode("latin-1"))
    return {
        "missing.md": "no such FAQ file",
        "binary.md": "a binary file",
        "huge.md": "larger than 256 KB",
        "latin1.md": "not UTF-8",
        str(FIXTURES / "no-entries.md"): "no FAQ entries found",
        ".": "is a folder",
    }


@pytest.mark.parametrize("command", [("rules", "check", "--faq"), ("rules", "import")])
def test_bad_faq_input_gets_a_clear_message_and_exit_2(tmp_path, capsys, command):
    for name, complaint in bad_faqs(tmp_path).items():
        assert main([*command, str(tmp_path / name)]) == 2, name
        captured = capsys.readouterr()
        assert complaint in captured.err and "Traceback" not in captured.err, (name, captured.err)
        assert captured.out == ""  # refused before any check ran or any draft was written
    assert not (ROOT / "rules" / "drafts").exists()


def test_import_refuses_an_out_that_is_a_file_and_a_link_that_is_not_https(tmp_path):
    (tmp_path / "taken").write_text("")
    done = run("rules", "import", FIXTURES / "list-en.md", "--out", tmp_path / "taken")
    assert done.returncode == 2 and "is a file" in done.stderr
    done = run("rules", "import", FIXTURES / "list-en.md", "--out", tmp_path / "d", "--url", "http://example.org/faq")
    assert done.returncode == 2 and "https://" in done.stderr and not (tmp_path / "d").exists()


def test_help_says_what_the_exit_status_means(capsys):
    with pytest.raises(SystemExit):
        main(["rules", "check", "--help"])
    assert "exit status 1 when some are" in " ".join(capsys.readouterr().out.split())
