"""An error the reporter says is solved, above another question, is not answered again."""

from pathlib import Path

import pytest

from bot.issue import Issue, read_issue
from bot.resolved import says_solved
from bot.rules import load_rules
from bot.triage import explain_triage, triage

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")
ERROR = "```\nModuleNotFoundError: No module named 'mmcv._ext'\n```\n"


def answered(title: str, body: str) -> list[str]:
    return [m.rule.id for m in triage(Issue(title, body, "open-mmlab/mmdetection"), RULES).matches]


@pytest.mark.parametrize("after", [
    "which I fixed by installing mmcv-full. Now training runs, but the loss is NaN after 200 iterations.",
    "Following the FAQ I reinstalled mmcv-full and that solved it. My real question is about the config.",
    "问题已解决。现在想问一下怎么保存可视化结果？",
])
def test_an_error_said_to_be_solved_under_a_title_about_something_else_is_not_answered(after):
    assert answered("Loss becomes NaN with my custom dataset", "Earlier I got\n" + ERROR + after + "\n") == []


@pytest.mark.parametrize("title, after", [
    # the title names the error: the issue is about it, however it ends
    ("No module named 'mmcv._ext' after installing mmcv", "It was solved when I installed mmcv-full instead."),
    # not said to be solved: denied, asked, or "fixed" as an adjective
    ("Training fails", "The bug has not been fixed in the latest version."),
    ("Training fails", "Has this been fixed in a newer release?"),
    ("Training fails", "I use a fixed seed, the same config as the docs."),
    ("训练报错", "重装之后还没有解决。"),
])
def test_an_error_still_open_or_named_in_the_title_is_answered(title, after):
    assert answered(title, "I got\n" + ERROR + after + "\n") == ["mmcv-ops-missing"]


@pytest.mark.parametrize("body", [
    # said in the sentence that quotes it, after the quote
    "Setup is behind me (I first had `No module named 'mmcv._ext'` with mmcv-lite; reinstalled and that is "
    "fixed, the demo runs). Now: how do I set my classes?\n",
    "一开始报 `ModuleNotFoundError: No module named 'mmcv._ext'`，重装之后已经好了，这个不是问题。现在想问精度的问题。\n",
])
def test_an_error_said_solved_in_the_sentence_that_quotes_it_is_not_answered(body):
    assert answered("Model still predicts 80 classes", body) == []


@pytest.mark.parametrize("title, body", [
    ("Inference is slower than the model zoo says",
     "First the `No module named 'mmcv._ext'` thing: fixed by installing mmcv-full from the wheel index.\n"
     "Now: 6 fps on a 3060 against 21.4 in the zoo, is that expected?\n"),
    # the error in a plain sentence, said fixed after it in the same sentence
    ("1 GPU and 4 GPUs give different mAP",
     "Earlier I had a Segmentation fault (core dumped) on import, that's fixed now (gcc 7.5, mmcv-full rebuilt).\n"
     "Now the same config gives 36.2 mAP on 1 GPU and 38.9 on 4: is SyncBN needed?\n"),
])
def test_fixed_by_and_thats_fixed_are_solved_statements(title, body):
    assert answered(title, body) == []


def test_a_plain_sentence_that_fixed_something_before_the_error_is_not_about_it():
    body = "After I fixed the dataset paths I get Segmentation fault (core dumped) right at the first iteration.\n"
    assert answered("Training crashes", body) == ["segfault"]


def test_words_before_the_quoted_error_are_about_something_else():
    body = "After I fixed the config, I get `ModuleNotFoundError: No module named 'mmcv._ext'` at once.\n"
    assert answered("Demo fails", body) == ["mmcv-ops-missing"]


def test_a_wish_is_no_solved_statement():
    assert answered("训练报错", "报错\n" + ERROR + "要是能直接用 pip 装上就好了\n") == ["mmcv-ops-missing"]


def test_a_solved_statement_above_the_error_or_inside_its_code_block_does_not_count():
    text = read_issue(Issue("Training fails", "The first problem is solved now, but then:\n```\n"
                                              "ModuleNotFoundError: No module named 'mmcv._ext'\n# fixed it? no\n```\n"))
    assert not says_solved(text, 3)


def test_explain_says_why_a_solved_error_is_not_answered():
    lines = explain_triage(Issue("Loss is NaN", "Earlier I got\n" + ERROR + "which I fixed by reinstalling.\n"), RULES)
    assert any(line.startswith("mmcv-ops-missing: the reporter says the error on line 3 is solved") for line in lines)


def test_a_documentation_issue_naming_an_error_in_its_prose_is_not_answered():
    body = ("### 📚 The doc issue\n\nThe FAQ's \"No module named 'mmcv.ops'\" entry links to a page that now returns "
            "404.\n\n### Suggest a potential alternative/fix\n\nLink the new installation page.\n")
    assert answered("[Docs] Broken link in the FAQ", body) == []
    explained = "\n".join(explain_triage(Issue("[Docs] Broken link in the FAQ", body), RULES))
    assert "a documentation issue names the error on line 3 in its prose" in explained


@pytest.mark.parametrize("pasted", [
    "KeyError: 'CocoDataset is not in the mmengine::dataset registry. Please check whether the value of "
    "`CocoDataset` is correct or it was registered as expected.'",
    "```\nTraceback (most recent call last):\nModuleNotFoundError: No module named 'mmcv._ext'\n```",
])
def test_a_documentation_issue_that_pastes_an_error_is_answered(pasted):
    assert answered("Following the tutorial fails", f"### 📚 The doc issue\n\n{pasted}\n") != []


@pytest.mark.parametrize("title, body", [
    ("[Enhancement] Say how MMCV was built when nms has no GPU support",
     "Users only see\n```\nRuntimeError: nms is not compiled with GPU support\n```\nand open issues. The message "
     "could say that MMCV was built without CUDA. I can send a PR."),
    # a pull request, by its tag or by OpenMMLab's template, quoting the error as its motivation
    ("[Enhance] Import mmcv.ops lazily in the dataset browser",
     "Users with mmcv-lite get\n```\nModuleNotFoundError: No module named 'mmcv._ext'\n```\n"),
    ("放宽 mmcv 上限", "## Motivation\n\n装了 mmcv 2.2.0 的用户会遇到\n```\nAssertionError: MMCV==2.2.0 is used but "
     "incompatible. Please install mmcv>=2.0.0rc4, <2.2.0.\n```\n\n## Modification\n\n- 上限改为 2.3.0\n"),
    ("Option to skip unreadable images",
     "### What's the feature?\n\nOne corrupt PNG ended a long run with `Segmentation fault (core dumped)`; an "
     "option to skip images that fail to decode would help.\n"),
])
def test_a_feature_request_that_speaks_of_an_error_is_not_answered(title, body):
    assert answered(title, body) == []
    explained = explain_triage(Issue(title, body, "open-mmlab/mmdetection"), RULES)
    assert "a feature request speaks of the error" in "\n".join(explained)


@pytest.mark.parametrize("title, body", [
    # the title names the error and says it is solved, then asks something else
    ("libtorch_cuda_cu.so 的问题重装 torch 后解决了，现在想问多卡推理怎么做",
     "之前报 `OSError: libtorch_cuda_cu.so: cannot open shared object file`，重装 torch 就好了。\n有没有多卡推理的脚本？\n"),
    # "fixed my `<error>`": the words just before the quoted error
    ("Offline wheel for Windows",
     "Replacing `CONSTEXPR_EXCEPT_WIN_CUDA` with `const` fixed my `a member with an in-class initializer must be "
     "const` build errors. Will a bdist_wheel work on other machines?\n"),
    # the problem gone, the build working, the environment fine now
    ("训练稳定性", "训练一开始就 `Segmentation fault (core dumped)`。\n只保留一个 opencv 之后问题消失，已经稳定训练两天了。\n"
                 "想问一下 requirements 能不能固定 opencv？\n"),
    ("RTMDet 精度低", "一开始装的 mmcv 2.2.0 报了 `MMCV==2.2.0 is used but incompatible`，已经换成 mmcv 2.1.0 了，"
                    "现在环境没问题。\n复现的 mAP 低了 1.5 个点，为什么？\n"),
    ("空 gt 的写法", "```\nRuntimeError: CUDA error: invalid configuration argument\n```\n"
                 "加了 `if gt.numel() == 0: loss = pred.sum() * 0` 就好了。想请教这样写对不对？\n"),
    # "降级到 ... 就好了" under a title saying it runs after the downgrade
    ("把 mmcv 降到 2.1.0 后能跑了，想问怎么只保存最好的权重",
     "之前遇到 `AssertionError: MMCV==2.2.0 is used but incompatible. Please install mmcv>=2.0.0rc4, <2.2.0.`，"
     "降级到 mmcv 2.1.0 就好了。\n现在想只保存 mAP 最高的权重。\n"),
    # "问题已经解决", "现在能训练了", "that was my fault ... with that added", "已经编译成功"
    ("复现精度低", "一开始报过\n```\nRuntimeError: CUDA error: no kernel image is available for execution on the device\n```\n"
                "重新编译了 mmcv，问题已经解决。\n现在的问题是 mAP 比 model zoo 低 0.7。\n"),
    ("训练变慢", "```\nRuntimeError: Expected to have finished reduction in the prior iteration before starting a new one.\n```\n"
               "加了 `find_unused_parameters = True`，现在能训练了。但是每个 iter 慢了 30%。\n"),
    # the title names the fix PyTorch's message names after the error: not the error's own words
    ("开了 find_unused_parameters=True 之后训练慢了 30%",
     "```\nRuntimeError: Expected to have finished reduction in the prior iteration before starting a new one. You "
     "can enable unused parameter detection by passing the keyword argument `find_unused_parameters=True`\n```\n"
     "按 FAQ 加了之后现在能训练了。怎么找出是哪些参数没用到？\n"),
    ("AP is 0 on my dataset", "At first I got\n```\nKeyError: 'HandHead is not in the models registry'\n```\n"
     "but that was my fault, I had forgotten custom_imports. With that added training runs.\nBut AP stays 0.\n"),
])
def test_more_ways_of_saying_the_error_is_solved(title, body):
    assert answered(title, body) == []


def test_a_title_naming_the_fix_applied_is_not_about_the_error_the_fix_was_for():
    body = ("First I got the `ModulePolicy::all_slots may not be initialized` errors; I applied the FAQ fix and "
            "those are gone.\nNow:\n```\nnvcc error   : 'cudafe++' died with status 0xC0000005 (ACCESS_VIOLATION)\n```\n")
    assert answered("Windows build after the all_slots patch: cudafe++ died", body) == []
    # a title about the error itself keeps its answer
    assert answered("all_slots may not be initialized on Windows", "```\nerror: member "
                    "\"torch::jit::detail::ModulePolicy::all_slots\" may not be initialized\n```\nPyTorch 1.5.0\n") != []


@pytest.mark.parametrize("title, body", [
    # the title names the error and what was fixed is something else
    ("ImportError: undefined symbol after I fixed the config",
     "ImportError: /opt/py/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: undefined symbol: _ZN2at5emptyEv\n"),
    # a wish is not a solved statement, nor is the build of another thing working
    ("训练报错", "```\nRuntimeError: CUDA error: invalid configuration argument\n```\n要是能改了参数就好了吗？\n"),
])
def test_still_answered_when_the_solved_words_speak_of_something_else(title, body):
    assert answered(title, body) != []


def test_a_title_naming_the_fix_not_the_error_keeps_the_solved_statement():
    # The title names find_unused_parameters, the fix; the error's own words name no identifier.
    body = ("之前多卡训练报 `RuntimeError: Expected to have finished reduction in the prior iteration before starting a "
            "new one`，按照 FAQ 在 config 里加了 `find_unused_parameters = True`，现在可以正常训练了。\n"
            "但是每个 iter 慢了 40%，有没有办法找到没有用到的参数？\n")
    assert answered("设置 find_unused_parameters=True 之后训练速度慢了很多，正常吗？", body) == []
    # "now trains normally" in English
    english = ("Earlier: `RuntimeError: Expected to have finished reduction in the prior iteration before starting a "
               "new one`. With find_unused_parameters = True it now trains normally. Why is it 40% slower?\n")
    assert answered("Training is slower with DDP", english) == []


@pytest.mark.parametrize("title", [
    "[Solved] No module named 'mmcv._ext' after upgrading",
    "No module named 'mmcv._ext'（已解决）",
    "ModuleNotFoundError: No module named 'mmcv._ext' - resolved, leaving it for others",
])
def test_an_error_in_a_title_that_says_it_is_solved_is_not_answered(title):
    assert answered(title, "Reinstalling mmcv-full from the wheel index for my CUDA helped.\n") == []


@pytest.mark.parametrize("title", [
    "No module named 'mmcv._ext' not solved by reinstalling",
    "No module named 'mmcv._ext'，按 FAQ 重装也没有解决",
    "No module named 'mmcv._ext' after I fixed the config",  # what was fixed is the config
])
def test_an_error_in_a_title_that_denies_it_is_solved_is_answered(title):
    assert answered(title, "Any idea?\n") == ["mmcv-ops-missing"]


@pytest.mark.parametrize("title, body", [
    # a write-up sharing the fix, and a pull request proposing one: nobody asks for help
    ("Sharing: how I got rid of No module named 'mmcv._ext' on Colab", ERROR + "Installing mmcv-full from the index did it.\n"),
    ("分享：No module named 'mmcv._ext' 的解决办法", ERROR + "重装 mmcv-full 即可。\n"),
    ("[Fix] Build the ops when MMCV_WITH_OPS is set", ERROR + "This PR makes setup.py build them.\n"),
    # said solved in Chinese in the ways people write it
    ("训练报错", ERROR + "按照 FAQ 重装之后这个错误没了，现在想问怎么可视化。\n"),
    ("No module named 'mmcv._ext' 报错，已按 FAQ 重装 mmcv-full 解决", ERROR),
])
def test_write_ups_proposals_and_errors_said_gone_are_not_answered(title, body):
    assert answered(title, body) == []


def test_a_question_tagged_as_a_bug_is_still_answered():
    assert answered("[Bug] No module named 'mmcv._ext'", ERROR + "What did I miss?\n") == ["mmcv-ops-missing"]


@pytest.mark.parametrize("title, body", [
    ("Will frozen_stages=4 cause \"Expected to have finished reduction\" in DDP?", "Planning a 3-day job on 16 GPUs.\n"),
    ("H100 能用预编译包吗", "下单之前想确认一下：会不会到时候出现 `no kernel image is available for execution on the device`？\n"),
    ("Linux 也要改 module.h 吗", "看到 FAQ 里说编译时会报 `ModulePolicy::all_slots may not be initialized`，需要改 module.h。\n"),
    ("Migrating configs", "I remember the FAQ warning that otherwise you get \"Trying to backward through the graph a "
                          "second time\". What is the 3.x way?\n"),
])
def test_an_error_named_as_hearsay_or_a_possibility_in_an_issue_that_prints_none_is_not_answered(title, body):
    assert answered(title, body) == []


@pytest.mark.parametrize("title, body", [
    # the FAQ followed, the error met: a report
    ("Still failing", "I followed the FAQ but still get `No module named 'mmcv._ext'` when I import mmcv.ops.\n"),
    # a question about the error that also prints it
    ("Will reinstalling fix this?", "Will a reinstall fix `No module named 'mmcv._ext'`?\n" + ERROR),
])
def test_an_error_met_is_answered_whatever_the_reporter_asks_about_it(title, body):
    assert answered(title, body) == ["mmcv-ops-missing"]


_OTHER_ERROR = ("```\nRuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 GiB total capacity)\n```\n")


@pytest.mark.parametrize("title, body", [
    ("开了 fp16 之后显存反而爆了",
     "之前报过 Expected to have finished reduction in the prior iteration 这个错，加了 find_unused_parameters 之后，"
     "现在是：\n" + _OTHER_ERROR),
    ("OOM after enabling fp16",
     "I previously got \"Expected to have finished reduction in the prior iteration\" and set find_unused_parameters. "
     "Now training stops with:\n" + _OTHER_ERROR),
    # the problem said gone, the words between ("问题已经没了")
    ("显存不够", "一开始报 `No module named 'mmcv._ext'`，换成 mmcv-full 之后：\n" + _OTHER_ERROR
     + "这个 _ext 的问题已经没了。就是显存不够，batch size 要怎么调？\n"),
    # named as the FAQ's, as what happens otherwise, or asked whether it is the one printed
    ("pip install -v -e . fails on pycocotools",
     "I saw the FAQ item about \"unsupported Microsoft Visual Studio version\" but I have no Visual Studio at all:\n"
     "```\nerror: Microsoft Visual C++ 14.0 or greater is required.\n```\n"),
    ("with_cp and DDP", "Without `find_unused_parameters=True` I get \"Expected to have finished reduction in the prior "
     "iteration\", with it:\n```\nRuntimeError: Expected to mark a variable ready only once.\n```\n"),
    ("Docker training dies", "Bus error (core dumped) - is this the Segmentation fault from the FAQ?\n"
     "```\nRuntimeError: DataLoader worker (pid 2841) is killed by signal: Bus error.\n```\n"),
    ("Ubuntu 22.04 编译 mmcv", "```\nerror: #error -- unsupported GNU version! gcc versions later than 10 are not supported!\n```\n"
     "FAQ 里有一条 \"unsupported Microsoft Visual Studio version\"，但我这是 Linux。\n"),
])
def test_an_error_met_before_above_another_printed_error_is_not_answered(title, body):
    assert answered(title, body) == []


def test_a_title_that_solves_one_error_then_names_the_next_is_answered_for_the_next():
    body = ("```\nModuleNotFoundError: No module named 'mmcv._ext'\n```\npip list: mmcv 1.3.9, mmcv-full 1.2.7\n")
    assert answered("解决了 mmcv 版本不兼容之后又出现 No module named 'mmcv._ext'", body) == ["mmcv-ops-missing"]
    assert answered("Solved the version assertion, now No module named 'mmcv._ext'", body) == ["mmcv-ops-missing"]
    # the error the title itself says is solved stays unanswered
    assert answered("No module named 'mmcv._ext'（已解决）", body) == []


def test_an_error_named_before_the_next_one_by_words_after_it_is_history():
    body = ("Since I saw the 'Expected to have finished reduction in the prior iteration' error before, I set "
            "find_unused_parameters=True. Now:\n```\nRuntimeError: Expected to mark a variable ready only once.\n```\n")
    assert answered("with_cp=True and DDP", body) == []


@pytest.mark.parametrize("title, body", [
    # met before and back again: a report
    ("训练报错", "之前报过 Expected to have finished reduction in the prior iteration 这个错，换了 config 之后又出现了：\n"
     + _OTHER_ERROR),
    # met before, and nothing else printed: the issue is about it
    ("DDP", "之前报过 Expected to have finished reduction in the prior iteration 这个错，是什么原因？\n"),
    # asked about, and printed too
    ("DDP", "Is this the FAQ's \"Expected to have finished reduction\" case?\n```\nRuntimeError: Expected to have "
     "finished reduction in the prior iteration before starting a new one.\n```\n"),
])
def test_an_error_met_before_that_is_back_or_alone_is_answered(title, body):
    assert answered(title, body) == ["ddp-unused-params"]


def test_a_changelog_entry_that_fixes_the_error_is_not_a_report_of_it():
    body = ("When is the release with this?\n\n> Fix `RuntimeError: nms is not compiled with GPU support` when building "
            "with `MMCV_WITH_OPS=1` on Windows (#1794)\n")
    assert answered("ETA for the next release?", body) == []
    # the same words as a request are not a changelog's
    assert answered("Help", "How to fix `RuntimeError: nms is not compiled with GPU support`? mmcv-full 1.4.0\n") \
        == ["nms-no-gpu"]


def test_a_documentation_issue_about_the_faq_itself_is_not_answered_with_it():
    body = "The entry's example:\n" + ERROR + "The fix should say which releases it applies to.\n"
    assert answered("[Docs] FAQ: the mmcv._ext entry should name the releases", body) == []
    # a documentation issue that met the error following another page is answered for what it pasted
    assert answered("[Docs] the install guide's command leaves mmcv without ops", "Following it:\n" + ERROR) \
        == ["mmcv-ops-missing"]
