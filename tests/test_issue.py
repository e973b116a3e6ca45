import pytest

from bot.issue import (_MAY_NOT_BE_WORDS, _NOT_WORDS, Issue, detect_language, extract_signatures, read_issue,
                       reporter_language)


def signatures_of(body: str, title: str = ""):
    return extract_signatures(read_issue(Issue(title, body)))


def test_traceback_last_line_is_a_signature_with_its_line():
    body = (
        "Traceback (most recent call last):\n"
        '  File "tools/train.py", line 7, in <module>\n'
        "    from mmcv.ops import nms\n"
        "ModuleNotFoundError: No module named 'mmcv._ext'\n"
    )
    (found,) = signatures_of(body)
    assert found.kind == "exception"
    assert found.text == "ModuleNotFoundError: No module named 'mmcv._ext'"
    assert found.line == 4


def test_chained_exceptions_each_give_a_signature():
    body = (
        "KeyError: 'img_id'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        "RuntimeError: failed to build dataset\n"
    )
    texts = [s.text for s in signatures_of(body)]
    assert texts == ["KeyError: 'img_id'", "RuntimeError: failed to build dataset"]


def test_title_is_line_zero():
    (found,) = signatures_of("", title="RuntimeError: nms is not compiled with GPU support")
    assert found.line == 0


def normalise_line(line: str) -> str:
    """The line as rules see it, read as an issue's title."""
    return read_issue(Issue(line, "")).lines[0]


def test_html_escaped_quotes_and_fullwidth_punctuation_are_folded():
    assert normalise_line("No module named &#39;mmcv._ext&#39;") == "No module named 'mmcv._ext'"
    assert normalise_line("RuntimeError：CUDA error（device）") == "RuntimeError: CUDA error (device)"
    assert normalise_line("KeyError: “Foo is not in the models registry”") == 'KeyError: "Foo is not in the models registry"'


def test_segfault_forms_are_crash_signatures():
    body = "\n".join(
        [
            "Segmentation fault (core dumped)",
            "torch.distributed.elastic: failed (exitcode: -11) local_rank: 0",
            "Process died with <Signals.SIGSEGV: 11>.",
            "训练时出现 段错误 (核心已转储)",
        ]
    )
    kinds = [s.kind for s in signatures_of(body)]
    assert kinds == ["crash"] * 4


def test_compiler_errors_from_msvc_and_nvcc_build_logs():
    body = (
        r"C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\v9.2\include\crt/host_config.h(133): "
        "fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version!\n"
        'torch/csrc/jit/api/module.h(483): error: a member with an in-class initializer must be const\n'
    )
    found = signatures_of(body)
    assert [s.kind for s in found] == ["compiler", "compiler"]
    assert "C1189" in found[0].text
    assert found[1].text.startswith("error: a member with an in-class initializer")


def test_undefined_symbol_and_missing_library_are_import_signatures():
    body = (
        "ImportError: /env/lib/python3.8/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: "
        "undefined symbol: _ZN2at5emptyEN3c108ArrayRefIlEE\n"
        "OSError: libcudart.so.10.1: cannot open shared object file: No such file or directory\n"
    )
    kinds = {s.kind for s in signatures_of(body)}
    assert "exception" in kinds  # both lines are exception lines first


def test_plain_prose_has_no_signatures():
    assert signatures_of("How do I change the learning rate for two GPUs?\nThanks!") == ()


def test_repeated_error_lines_count_once():
    body = "\n".join(["RuntimeError: CUDA error: invalid configuration argument"] * 50)
    assert len(signatures_of(body)) == 1


def test_chinese_prose_is_answered_in_chinese():
    issue = Issue("训练时报错", "我按照文档安装了 mmcv-full，运行 train.py 时出现下面的错误，请问怎么解决？")
    assert detect_language(issue) == "zh"


def test_english_prose_with_chinese_console_output_is_english():
    body = (
        "When I run the demo I get this error, any idea?\n"
        "```\n"
        "ImportError: DLL load failed while importing _ext: 找不到指定的模块。\n"
        "```\n"
    )
    assert detect_language(Issue("DLL load failed", body)) == "en"


def test_the_language_is_told_from_the_top_of_a_long_issue():
    log = "".join(f"2023-05-08 10:12:{n % 60:02d} - mmdet - INFO - Epoch [1][{n}/7330] loss: 1.19\n" for n in range(900))
    chinese = "我按照文档安装了 mmcv-full，训练时出现下面的错误，请问怎么解决？\n"
    assert detect_language(Issue("训练报错", chinese + log)) == "zh"
    # Prose written below 8 KB of pasted log is not read: the reporter's words stand above it.
    assert detect_language(Issue("Training fails", "It fails after a while:\n" + log + chinese * 5)) == "en"


def test_missing_or_null_body_reads_as_empty():
    assert read_issue(Issue("t", None)).lines == ("t", "")
    assert detect_language(Issue("", None)) == "en"


def test_overlong_body_keeps_head_and_tail():
    body = "first line\n" + "x\n" * 100_000 + "RuntimeError: the last words\n"
    text = read_issue(Issue("", body))
    assert len(text.text) < 70_000
    assert text.lines[1] == "first line"
    assert any("the last words" in line for line in text.lines)


def test_chinese_folder_names_in_a_traceback_do_not_make_an_issue_chinese():
    body = (
        "I get this error when running inference on my own images:\n"
        '    /content/drive/My Drive/模型训练/酒瓶检测/mmdetection/mmdet/apis/inference.py in inference_detector\n'
        "RuntimeError: cuda runtime error (48) : unrecognized error code\n"
    )
    assert detect_language(Issue("RuntimeError: cuda runtime error (48)", body)) == "en"


def test_a_chinese_aside_in_an_english_title_stays_english():
    assert detect_language(Issue("Requesting another MMCV version (MMCV版本始终 incompatible)", "")) == "en"


def test_a_short_chinese_title_counts():
    assert detect_language(Issue("[Bug] 评估时报错", "")) == "zh"


def test_a_chinese_title_over_an_english_traceback_is_chinese():
    body = (
        "Traceback (most recent call last):\n"
        '  File "tools/train.py", line 12, in <module>\n'
        "    from mmdet.apis import train_detector\n"
        "AssertionError: MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4, <2.2.0.\n"
    )
    assert detect_language(Issue("安装后运行报错： MMCV==2.2.0 is used but incompatible", body)) == "zh"


def test_a_chinese_title_over_english_prose_is_english():
    body = ("I trained on my own dataset with a single class and followed the tutorial exactly. "
            "The config was changed only in the number of classes, and the error below appears "
            "at the first iteration every time I start training, also with the public dataset.\n")
    assert detect_language(Issue("训练自己的数据集报错", body)) == "en"


def test_chinese_prose_around_commands_and_versions_is_chinese():
    body = "按照文档执行 pip install mmcv-full==1.7.1 -f https://download.openmmlab.com/mmcv/dist/cu113/torch1.12/index.html 之后还是报错，CUDA和PyTorch版本都对"
    assert detect_language(Issue("安装失败", body)) == "zh"


def test_a_chinese_sentence_naming_products_and_a_title_quoting_the_error_are_chinese():
    # The products' names are not English prose; the English after "报" in the title is the error.
    body = ("Windows 10，装了 VS2019 Community 和 CUDA 10.2，torch 1.8.1+cu102，照着 Installation Guide 里 Build on Windows 的步骤编译：\n"
            "```\nnvcc fatal : Unsupported gpu architecture 'compute_86'\n```\n"
            "换成 VS2017 行吗？\n")
    assert detect_language(Issue("Windows 编译 mmcv 报 Unsupported gpu architecture compute_86", body)) == "zh"
    assert detect_language(Issue("单卡训练报 Default process group has not been initialized", "")) == "zh"


def test_tool_names_are_no_english_and_a_title_quotes_the_error_after_its_last_chinese_word():
    # "pip install mmcv ..., python 3.9, torch ..., windows 10" names tools in any language
    body = "conda 环境，pip install mmcv-full 装的 1.7.0，python 3.9，torch 1.12.0+cu116，windows 10。\n"
    assert detect_language(Issue("Training error", body + "求助\n")) == "zh"
    # the English after the title's last Chinese word, or after its full-width colon, is the error quoted
    assert detect_language(Issue("[Bug] 训练时 No module named 'mmcv._ext' when I start training", "")) == "zh"
    assert detect_language(Issue("Windows 源码编译：module.h error: a member with an in-class initializer must be const",
                                 "所有的 .cu 文件都报这个错误，怎么解决？\n")) == "zh"


def test_the_templates_dropdown_answers_are_not_the_reporters_english():
    body = ("### Task\n\nI'm using the official example scripts/configs for the officially supported "
            "tasks/models/datasets.\n\n### Describe the bug\n\n第一个 epoch 就报错\n")
    assert detect_language(Issue("Training error", body)) == "zh"


def test_issue_template_lines_are_not_the_reporters_english():
    body = (
        "**Checklist**\n"
        "1. I have searched related issues but cannot get the expected help.\n"
        "2. I have read the FAQ documentation but cannot get the expected help.\n"
        "3. The bug has not been fixed in the latest version.\n"
        "**Describe the bug**\n"
        "A clear and concise description of what the bug is.\n"
        "用自己的数据训练时出现下面的错误，换了几个配置都一样\n"
    )
    assert detect_language(Issue("KeyError: 'MyDataset is not in the dataset registry'", body)) == "zh"

def test_pips_resolver_lines_are_output_not_the_reporters_english():
    body = ("升级以后就这样了\n\n"
            "mmdet 3.0.0 requires mmcv<2.1.0,>=2.0.0rc4, but you have mmcv 2.1.0 which is incompatible.\n"
            "mmpose 1.1.0 requires mmengine<1.0.0,>=0.4.0, but you have mmengine 0.10.3 which is incompatible.\n"
            "mmseg 1.0.0 requires mmcv<2.1.0,>=2.0.0rc4, but you have mmcv 2.1.0 which is incompatible.\n")
    assert detect_language(Issue("mmdet", body)) == "zh"


def test_the_reporters_language_falls_back_only_when_nothing_tells_it():
    traceback = "Traceback (most recent call last):\n  File \"x.py\", line 1\nModuleNotFoundError: No module named 'mmcv'"
    assert reporter_language(Issue("", traceback), "zh") == "zh"
    assert reporter_language(Issue("mmcv error", traceback), "zh") == "zh"
    assert reporter_language(Issue("", "I installed mmcv with pip and the import fails\n" + traceback), "zh") == "en"
    assert reporter_language(Issue("", "安装以后运行就报错了，怎么办\n" + traceback), "en") == "zh"
    assert reporter_language(Issue("", traceback)) == detect_language(Issue("", traceback)) == "en"


def test_a_literal_is_known_absent_from_the_words_of_a_long_text():
    from bot.issue import WORD_CHECK_MIN_CHARS

    text = read_issue(Issue("", "the destructor was implicitly deleted\n" * (WORD_CHECK_MIN_CHARS // 30)))
    assert text.may_hold("destructor was")  # "destructor" ends a word, "was" starts one
    assert not text.may_hold("cannot open shared")  # "open" is no word of the text
    assert not text.may_hold("remove", starts_word=True)  # no word starts with "remove"
    assert text.may_hold("struct")  # inside "destructor": a part of a word is not ruled out
    assert not text.may_hold("fault")  # ... but one that is part of no word of the text is
    assert not text.may_hold("struct", starts_word=True)
    assert not text.may_hold("段错误")  # CJK in an ASCII-only text


@pytest.mark.parametrize("length", [100, 20_000])
def test_the_words_of_a_text_are_every_word_of_it_once_repeated_lines_or_not(length):
    import re

    warning = "C:\\torch\\include\\c10/util/Optional.h(554): warning C4624: 析构函数 was implicitly DELETED\n"
    body = warning * (length // len(warning)) + "ModuleNotFoundError: No module named 'mmcv._ext'\n"
    text = read_issue(Issue("Build FAILS", body))
    assert text.words == frozenset(re.findall(r"[a-z0-9_]+", text.text.lower()))
    assert {"_ext", "modulenotfounderror", "deleted", "build", "c4624"} <= text.words


def test_error_lines_are_found_in_a_long_text_by_their_case_sensitive_endings():
    from bot.issue import WORD_CHECK_MIN_CHARS

    filler = "epoch 3 iter 20 loss 0.52 lr 0.01 default settings\n" * (WORD_CHECK_MIN_CHARS // 40)
    text = read_issue(Issue("", filler + "RuntimeError: CUDA error: an illegal memory access was encountered\n"
                                 + filler + "Segmentation fault (core dumped)\n"))
    assert [s.kind for s in extract_signatures(text)] == ["exception", "crash"]
    assert text.lines_holding(("Exception", "Warning"), exact_case=True) == []


@pytest.mark.parametrize("line", [
    "I run the demo and get an error when I import the module", "see demo.py, then run it",
    "use --launcher pytorch", "(RuntimeError: boom)", "my_config works", "mmcv==1.7.0 is here",
    "e.g.(this) one", "https://example.org/x", "is used but incompatible", "a -x flag", "版本号是 2",
    "C:\\Users\\me", "a<b", "plain words only", "Error alone",
    "foo requires bar, but you have bar which is incompatible.",
])
def test_prose_lines_skip_the_cleaning_only_when_it_would_remove_nothing(line):
    """_MAY_NOT_BE_WORDS is the quick look for what _NOT_WORDS removes: it must find something on
    every line where the cleaning changes anything."""
    if _NOT_WORDS.search(line):
        assert _MAY_NOT_BE_WORDS.search(line)
