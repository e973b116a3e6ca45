"""Reading FAQ pages written in markdown: entries, their leads, quoted error messages and answers."""

from pathlib import Path

import pytest

from bot.faq import MAX_FAQ_BYTES, MAX_FAQ_ENTRIES, FaqError, messages_in, parse_faq, read_faq

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "faq"


def entries_of(name):
    return parse_faq(read_faq(FIXTURES / name))


def test_list_items_under_headings_are_the_entries_and_sub_lists_are_their_answers():
    entries = entries_of("list-en.md")
    assert [entry.line for entry in entries] == [7, 15, 24, 29, 36, 42, 46, 50, 58]
    windows = entries[3]
    assert windows.section == "Installation"
    assert "- open `torch/csrc/jit/api/module.h`" in windows.answer  # a sub-list stays in the answer
    assert windows.answer.startswith("Building on Windows")


def test_a_code_block_in_an_answer_is_neither_a_heading_nor_an_entry():
    ops = entries_of("list-en.md")[1]
    assert "# with mim" in ops.answer and "mim install mmcv" in ops.answer


def test_a_paragraph_quoting_errors_before_the_list_is_an_entry():
    compat = entries_of("list-en.md")[0]
    assert compat.messages == ("ConvWS is already registered in conv layer",)
    assert compat.answer.startswith("Pick the MMCV release") and "| 3.x | 2.x |" in compat.answer


def test_entries_that_quote_no_error_are_kept_with_no_messages():
    entries = entries_of("list-en.md")
    assert [entry.lead for entry in entries if not entry.messages] == [
        "How do I resume training?",
        "`norm_eval` in a backbone",  # one back-ticked word is a name, not an error
    ]


def test_headings_are_entries_when_they_quote_an_error_or_hold_the_answer():
    entries = entries_of("headings-zh.md")
    assert [(entry.line, entry.messages) for entry in entries] == [
        (5, ("Segmentation fault",)),  # curly quotes
        (13, ("invalid device function", "no kernel image is available for execution")),
        (17, ("Widget loader refused the annotation file",)),  # after a full-width ；
        (23, ()),
    ]
    assert entries[0].section == "安装" and entries[0].anchor == "segmentation-fault"
    assert "torch.cuda.is_available()" in entries[0].answer


@pytest.mark.parametrize(
    "lead, messages",
    [
        ('"No module named \'mmcv.ops\'"; "No module named \'mmcv.\\_ext\'".',
         ("No module named 'mmcv.ops'", "No module named 'mmcv._ext'")),
        ('"error: member "torch::jit::ProfileOptionalOp::Kind" may not be initialized"',
         ('error: member "torch::jit::ProfileOptionalOp::Kind" may not be initialized',)),
        ("KeyError: \"xxx: 'yyy is not in the zzz registry'\"",
         ("KeyError: \"xxx: 'yyy is not in the zzz registry'\"",)),
        ('setuptools.sandbox.UnpickleableException: DistutilsSetupError("each element")',
         ('setuptools.sandbox.UnpickleableException: DistutilsSetupError("each element")',)),
        ('**"undefined symbol" or "cannot open xxx.so"**', ("undefined symbol", "cannot open xxx.so")),
        ('"fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version!"',
         ("fatal error C1189: #error: -- unsupported Microsoft Visual Studio version!",)),
        ("`ImportError: libGL.so.1: cannot open shared object file`",
         ("ImportError: libGL.so.1: cannot open shared object file",)),
        ("ModuleNotFoundError is raised when using some algorithms", ()),
        ("Using `albumentations`", ()),
        ('An unclosed "quote', ()),
    ],
)
def test_messages_in_a_lead(lead, messages):
    assert messages_in(lead) == messages


def test_a_page_without_entries_parses_to_none():
    assert entries_of("no-entries.md") == ()


def test_windows_line_endings_read_the_same():
    text = (FIXTURES / "list-en.md").read_text(encoding="utf-8")
    assert parse_faq(text.replace("\n", "\r\n")) == parse_faq(text)


@pytest.mark.parametrize(
    "content, complaint",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("- \"caf\xe9\"".encode("latin-1"), "not UTF-8"),
        (b"- x\n" * (MAX_FAQ_BYTES // 4 + 1), "larger than 256 KB"),
    ],
)
def test_a_file_that_is_no_faq_is_refused_with_the_reason(tmp_path, content, complaint):
    path = tmp_path / "FAQ.md"
    path.write_bytes(content)
    with pytest.raises(FaqError, match=complaint):
        read_faq(path)


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(FaqError, match="no such FAQ file"):
        read_faq(tmp_path / "missing.md")
    with pytest.raises(FaqError, match="is a folder"):
        read_faq(tmp_path)


def test_a_page_with_thousands_of_entries_is_refused_quickly():
    with pytest.raises(FaqError, match=f"more than {MAX_FAQ_ENTRIES} entries"):
        parse_faq('- "DemoError: widget broke"\n' * 9_000)
