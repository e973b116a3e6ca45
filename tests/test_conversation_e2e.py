"""The conversation over HTTP: the reporter's follow-up comments, answered against the fake GitHub."""

from __future__ import annotations

import pytest

from bot.marker import FOLLOW_UP_MARKER, MARKER
from tests.botservice import run_service
from tests.fakegithub import comment_payload, issue_payload, reporter_comment

ISSUE = "/repos/open-mmlab/mmdetection/issues/5"
MMDET = "open-mmlab/mmdetection"
UNDEFINED_SYMBOL = """Traceback (most recent call last):
  File "tools/test.py", line 9, in <module>
    from mmdet.apis import multi_gpu_test
  File "/opt/conda/lib/python3.8/site-packages/mmcv/ops/__init__.py", line 2, in <module>
    from .active_rotated_filter import active_rotated_filter
ImportError: /opt/conda/lib/python3.8/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so: undefined symbol: _ZN2at5emptyEN3c108ArrayRefIlEENS0_13TensorOptionsENS0_8optionalINS0_12MemoryFormatEEE"""
COLLECT_ENV_CUDA_MISMATCH = """```
sys.platform: linux
Python: 3.8.12 (default, Oct 12 2021, 13:49:34) [GCC 7.5.0]
CUDA available: True
GPU 0: NVIDIA GeForce RTX 3090
NVCC: Cuda compilation tools, release 11.3, V11.3.109
PyTorch: 1.11.0+cu113
TorchVision: 0.12.0+cu113
MMCV: 1.5.0
MMCV Compiler: GCC 7.3
MMCV CUDA Compiler: 10.2
MMDetection: 2.24.1+unknown
```"""
SEGFAULT = "The import works now, but evaluation crashes:\n```\nSegmentation fault (core dumped)\n```"


@pytest.fixture
def service(settings):
    yield from run_service(settings)


def mmdet(payload: dict) -> dict:
    payload["repository"].update(full_name=MMDET, name="mmdetection")
    return payload


def opened(**kwargs) -> dict:
    return mmdet(issue_payload(title="undefined symbol after upgrading", body=UNDEFINED_SYMBOL, number=5, **kwargs))


def by_reporter(text: str, comment_id: int, **kwargs) -> dict:
    kwargs.setdefault("body", UNDEFINED_SYMBOL)
    kwargs.setdefault("title", "undefined symbol after upgrading")
    return mmdet(reporter_comment(text, number=5, comment_id=comment_id, **kwargs))


def writes_since(fake, start: int) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.writes()[start:]]


def test_asked_then_answered_in_a_comment_one_reply_the_question_gone_the_label_removed(service, fake):
    service.send("issues", opened(), "d-open")
    service.settle()
    [answer] = fake.issue_comments(MMDET, 5)
    assert "Please add your environment" in answer["body"] and "needs-environment" in fake.labels[f"{MMDET}#5"]

    start = len(fake.writes())
    service.send("issue_comment", by_reporter("Here is my environment:\n" + COLLECT_ENV_CUDA_MISMATCH, 11), "d-env")
    service.send("issue_comment", by_reporter("Here is my environment:\n" + COLLECT_ENV_CUDA_MISMATCH, 11), "d-env")
    service.settle()
    # The floor: the reply, the edit of the first comment, the label's removal. Nothing else.
    assert writes_since(fake, start) == [("POST", f"{ISSUE}/comments"), ("PATCH", f"/repos/{MMDET}/issues/comments/"
                                         f"{answer['id']}"), ("DELETE", f"{ISSUE}/labels/needs-environment")]
    reply = [c for c in fake.issue_comments(MMDET, 5) if c["id"] != answer["id"]][0]["body"]
    assert reply.startswith(FOLLOW_UP_MARKER) and "10.2" in reply and "11.3" in reply
    assert "Please add your environment" not in fake.comments[answer["id"]]["body"]
    assert "needs-environment" not in fake.labels[f"{MMDET}#5"]


def test_a_strangers_environment_or_a_thank_you_gets_nothing(service, fake):
    service.send("issues", opened(), "d-open")
    service.settle()
    start = len(fake.writes())
    stranger = mmdet(comment_payload("Same here:\n" + COLLECT_ENV_CUDA_MISMATCH, association="NONE", login="bystander",
                                     number=5, body=UNDEFINED_SYMBOL))
    service.send("issue_comment", stranger, "d-stranger")
    service.send("issue_comment", by_reporter("thanks, solved", 12), "d-thanks")
    service.settle()
    assert writes_since(fake, start) == []


def test_a_second_faq_error_gets_one_more_answer_and_the_fourth_follow_up_nothing(service, fake):
    service.send("issues", opened(), "d-open")
    service.send("issue_comment", by_reporter(COLLECT_ENV_CUDA_MISMATCH, 11), "d-env")  # follow-up 1
    service.send("issue_comment", by_reporter(SEGFAULT, 12), "d-crash")  # follow-up 2: another FAQ error
    service.send("issue_comment", by_reporter(SEGFAULT, 12), "d-crash")  # its redelivery
    service.settle()
    follow_ups = [c["body"] for c in fake.issue_comments(MMDET, 5) if c["body"].startswith(FOLLOW_UP_MARKER)]
    assert len(follow_ups) == 2 and "Segmentation fault" in follow_ups[1]

    nms = "Next one:\n```\nRuntimeError: nms is not compiled with GPU support\n```"
    registry = "And then:\n```\nKeyError: 'MyHead is not in the models registry'\n```"
    service.send("issue_comment", by_reporter(nms, 13), "d-3")  # follow-up 3
    service.send("issue_comment", by_reporter(registry, 14), "d-4")  # the fourth: nothing
    service.settle()
    follow_ups = [c["body"] for c in fake.issue_comments(MMDET, 5) if c["body"].startswith(FOLLOW_UP_MARKER)]
    assert len(follow_ups) == 3 and not any("registry" in body for body in follow_ups)
    assert len([c for c in fake.issue_comments(MMDET, 5) if c["body"].startswith(MARKER)]) == 1


def test_the_traceback_in_the_reporters_second_post_gets_the_answer(service, fake):
    vague = mmdet(issue_payload(title="it doesn't work", body="It fails at import, see below.", number=5))
    service.send("issues", vague, "d-open")
    service.settle()
    assert fake.writes() == []
    comment = by_reporter("```\n" + UNDEFINED_SYMBOL + "\n```", 11, title="it doesn't work",
                          body="It fails at import, see below.")
    service.send("issue_comment", comment, "d-traceback")
    service.settle()
    [answer] = fake.issue_comments(MMDET, 5)
    assert answer["body"].startswith(MARKER) and "undefined symbol" in answer["body"]
    assert "faq" in fake.labels[f"{MMDET}#5"]


def test_nothing_on_a_closed_or_locked_issue(service, fake):
    service.send("issue_comment", by_reporter("```\n" + UNDEFINED_SYMBOL + "\n```", 11, state="closed",
                                              body="see below"), "d-closed")
    service.send("issue_comment", by_reporter("```\n" + UNDEFINED_SYMBOL + "\n```", 12, locked=True,
                                              body="see below"), "d-locked")
    service.settle()
    assert fake.writes() == []
