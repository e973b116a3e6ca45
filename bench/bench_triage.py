"""Triage speed on one core: dev-set issues, 64 KB bodies, and 1,000 rules.

Run: .venv/bin/python bench/bench_triage.py [CORPUS.jsonl]   (default ../shared/corpus/dev.jsonl)
Prints a markdown table; the README quotes it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluate import read_corpus  # noqa: E402
from bot.issue import Issue  # noqa: E402
from bot.rules import Rule, RuleError, RuleSet, build_ruleset, load_rule_file, load_rules  # noqa: E402
from bot.triage import triage  # noqa: E402

MAX_BODY = 65_536

LOG_PIECES = (
    "Traceback (most recent call last):\n"
    '  File "/home/user/mmdetection/tools/train.py", line 187, in <module>\n'
    "    main()\n"
    '  File "/opt/conda/lib/python3.8/site-packages/mmcv/utils/registry.py", line 61, in build_from_cfg\n'
    "    return obj_cls(**args)\n"
    "RuntimeError: CUDA error: an illegal memory access was encountered\n",
    "/usr/local/cuda/bin/nvcc -I/opt/conda/include/python3.8 -c ./mmcv/ops/csrc/pytorch/cuda/nms_cuda.cu "
    "-o build/temp.linux-x86_64-3.8/nms_cuda.o -D__CUDA_NO_HALF_OPERATORS__ -O3 -std=c++14\n"
    "./mmcv/ops/csrc/common/cuda/nms_cuda_kernel.cuh(12): warning: variable \"x\" was declared but never referenced\n",
    "2023-05-08 10:12:31,888 - mmdet - INFO - Epoch [1][50/7330]\tlr: 1.000e-02, eta: 1 day, 2:03:04, "
    "time: 0.512, data_time: 0.051, memory: 3813, loss_rpn_cls: 0.5710, loss_bbox: 0.1210, loss: 1.1981\n",
    "C:\\Users\\me\\anaconda3\\envs\\openmmlab\\lib\\site-packages\\torch\\include\\c10/util/Optional.h(554): "
    "warning C4624: destructor was implicitly defined as deleted\n",
)


def log_body(size: int = MAX_BODY) -> str:
    """Tracebacks and build logs, no FAQ error, until ``size`` characters: the worst honest body."""
    parts, length, index = [], 0, 0
    while length < size:
        piece = LOG_PIECES[index % len(LOG_PIECES)]
        parts.append(piece)
        length += len(piece)
        index += 1
    return "".join(parts)[: size - 80] + "\nModuleNotFoundError: No module named 'mmcv._ext'\n"


# A Windows build of MMCV's ops as ninja prints it: one long nvcc or cl command per source file, the
# warnings torch's headers and the kernels raise, the file's name. Every line names its own file.
_OPS = ("active_rotated_filter", "assign_score_withk", "ball_query", "bbox_overlaps", "border_align",
        "box_iou_rotated", "carafe", "carafe_naive", "chamfer_distance", "convex_iou", "correlation",
        "deform_conv", "deform_roi_pool", "diff_iou_rotated", "focal_loss", "furthest_point_sample",
        "fused_bias_leakyrelu", "gather_points", "group_points", "iou3d", "knn", "masked_conv2d",
        "min_area_polygons", "modulated_deform_conv", "ms_deform_attn", "nms", "nms_rotated",
        "points_in_boxes", "psamask", "riroi_align_rotated", "roi_align", "roi_align_rotated", "roi_pool",
        "roiaware_pool3d", "roipoint_pool3d", "rotated_feature_align", "scatter_points", "sync_bn",
        "three_interpolate", "three_nn", "tin_shift", "upfirdn2d", "voxelization")
_ROOT = "D:\\src\\mmcv"
_TORCH = "C:\\Users\\lab\\anaconda3\\envs\\openmmlab\\lib\\site-packages\\torch\\include"
_CUDA = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.6"
_BUILD = _ROOT + "\\build\\temp.win-amd64-cpython-38\\Release\\mmcv\\ops\\csrc\\pytorch"


def _compile_lines(step: int, steps: int, op: str) -> list[str]:
    source, kernel = f"{op}_cuda.cu", f"{op}_cuda_kernel.cuh"
    return [
        f"[{step}/{steps}] {_CUDA}\\bin\\nvcc --generate-dependencies-with-compile --dependency-output "
        f"{_BUILD}\\cuda\\{op}_cuda.obj.d --use-local-env -Xcompiler /MD -Xcompiler /wd4819 "
        f"-Xcompiler /wd4251 -Xcudafe --diag_suppress=dll_interface_conflict_none_assumed -DMMCV_WITH_CUDA "
        f"-I{_ROOT}\\mmcv\\ops\\csrc\\common -I{_ROOT}\\mmcv\\ops\\csrc\\common\\cuda -I{_TORCH} "
        f"-I{_TORCH}\\torch\\csrc\\api\\include -I\"{_CUDA}\\include\" -c {_ROOT}\\mmcv\\ops\\csrc\\"
        f"pytorch\\cuda\\{source} -o {_BUILD}\\cuda\\{op}_cuda.obj -D__CUDA_NO_HALF_OPERATORS__ "
        f"-D__CUDA_NO_HALF_CONVERSIONS__ --expt-relaxed-constexpr -O3 -DTORCH_EXTENSION_NAME=_ext "
        f"-DTORCH_API_INCLUDE_EXTENSION_H -gencode=arch=compute_86,code=sm_86 -std=c++14",
        f"{_TORCH}\\c10/macros/Macros.h(143): warning C4067: unexpected tokens following preprocessor "
        f"directive - expected a newline",
        f"{_TORCH}\\c10/util/Optional.h({212 + step % 7 * 57}): warning C4624: "
        f"'c10::trivially_copyable_optimization_optional_base<T>': destructor was implicitly defined as deleted",
        f"{_ROOT}\\mmcv\\ops\\csrc\\common\\cuda\\{kernel}({30 + step * 3}): warning #177-D: variable "
        f"\"{('offset', 'index', 'n', 'c', 'w')[step % 5]}\" was declared but never referenced",
        source,
        f"[{step + 1}/{steps}] cl /showIncludes /nologo /O2 /W3 /GL /DNDEBUG /MD -DMMCV_WITH_CUDA "
        f"-I{_ROOT}\\mmcv\\ops\\csrc\\common -I{_TORCH} -c {_ROOT}\\mmcv\\ops\\csrc\\pytorch\\{op}.cpp "
        f"/Fo{_BUILD}\\{op}.obj -DTORCH_EXTENSION_NAME=_ext /std:c++14",
        f"{_TORCH}\\ATen/core/TensorBody.h({1300 + step}): warning C4996: 'at::Tensor::data': "
        f"Tensor.data<T>() is deprecated. Please use Tensor.data_ptr<T>() instead.",
    ]


def build_log(size: int = MAX_BODY) -> str:
    """A Windows build log of MMCV's ops up to ``size`` characters, hardly a line repeated, then the
    import that fails after it: a long log as reporters paste it."""
    steps = 2 * len(_OPS)
    lines, length = [], 0
    tail = "ninja: build stopped: subcommand failed.\nModuleNotFoundError: No module named 'mmcv._ext'\n"
    for number in range(10 * len(_OPS)):
        op = _OPS[number % len(_OPS)] + ("" if number < len(_OPS) else f"_v{number // len(_OPS)}")
        chunk = _compile_lines(2 * (number % len(_OPS)) + 1, steps, op)
        chunk_length = sum(len(line) + 1 for line in chunk)
        if length + chunk_length + len(tail) > size:
            break
        lines += chunk
        length += chunk_length
    return "\n".join(lines) + "\n" + tail


def distinct_rule(number: int) -> dict:
    """A rule with its own vocabulary, as a new FAQ entry has: its error's own words."""
    return {
        "patterns": [
            {"regex": rf"\bWidget{number}Error: part \w{{1,20}} of the gadget{number} broke"},
            {"phrase": f"gadget{number} subsystem {number} failed to start"},
        ],
        "context": ["mmcv|mmdet"],
    }


def variant_rule(number: int, original: Rule) -> dict:
    """A real rule's patterns needing one more word: tried wherever its original is.

    The keyword index saves nothing on these: the worst case for growth.
    """
    # (a bounded gap such as .{0,40} before the word would multiply the original's own repeats past
    # what rules check accepts: a literal " variantN" keeps the copy as safe as its original)
    patterns = [{"regex": f"(?:{regex.source}) variant{number}"} for regex in original.regexes]
    patterns += [{"phrase": f"{phrase.phrase} variant{number}", "min_score": 99} for phrase in original.phrases]
    patterns += [{"described": f"(?:{described.source}) variant{number}",
                  "context": [context.source for context in described.context]} for described in original.described]
    patterns += [{"finding": finding.kind, "is": sorted(finding.values)} for finding in original.findings]
    return {"patterns": patterns, "context": [context.source for context in original.context] or ["."]}


def generated_rules(real: RuleSet, total: int, folder: Path, kind: str) -> RuleSet:
    """The real rules plus ``kind`` ("distinct" or "variants") generated ones, ``total`` in all."""
    rules = list(real.rules)
    for number in range(total - len(rules)):
        original = real.rules[number % len(real.rules)]
        shape = distinct_rule(number) if kind == "distinct" else variant_rule(number, original)
        rule_id = f"{kind}-{number:04d}"
        document = {
            "id": rule_id,
            "title": {"en": f"Generated {number}", "zh": f"生成的规则 {number}"},
            "faq": "https://example.org/faq",
            "labels": ["faq"],
            "answer": {"en": "Fix it.", "zh": "修好它。"},
            "examples": {"match": [f"generated {number}"], "no_match": ["x"]},
            **shape,
        }
        path = folder / f"{rule_id}.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        rules.append(load_rule_file(path))
    return build_ruleset(rules)


def joined_bodies(issues: list[Issue], limit: int = MAX_BODY) -> str:
    """The issues' bodies one after another, up to ``limit`` characters: a long text of real
    issues, tracebacks, environments and prose, that hardly repeats a line."""
    body = ""
    for issue in issues:
        if len(body) + len(issue.body or "") + 1 > limit:
            break
        body += (issue.body or "") + "\n"
    return body


def time_one(issue: Issue, rules: RuleSet, repeat: int) -> float:
    """Median seconds of ``repeat`` triage runs of one issue."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        triage(issue, rules)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def corpus_times(issues: list[Issue], rules: RuleSet) -> list[float]:
    for issue in issues:  # warm caches (regex compilation, imports)
        triage(issue, rules)
    return sorted(time_one(issue, rules, 5) for issue in issues)


def _times(issues: list[Issue], big: Issue, rules: RuleSet) -> tuple[float, float, float]:
    """(dev-set median, dev-set p99, 64 KB body) in seconds."""
    times = corpus_times(issues, rules)
    return statistics.median(times), percentile(times, 0.99), time_one(big, rules, 9)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))]


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the README says
    corpus = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared" / "corpus" / "dev.jsonl")
    real = load_rules(ROOT / "rules")
    issues = [Issue(case.title, case.body) for case in read_corpus(corpus)]
    big = Issue("Training fails", log_body())
    rows = [(f"{len(real)} (the FAQ)", *_times(issues, big, real))]
    with tempfile.TemporaryDirectory() as folder:
        for label, kind in (("1,000: FAQ + distinct generated", "distinct"),
                            ("1,000: FAQ + variants sharing keywords", "variants")):
            try:
                rules = generated_rules(real, 1000, Path(folder), kind)
            except RuleError as error:  # a generated pattern the regex-safety check refuses
                print(f"{label}: not measured, a generated rule does not load: {error}\n")
                continue
            rows.append((label, *_times(issues, big, rules)))
            # Dropped before the next set is built: a worker holds one rule set, and a heap that
            # holds three makes every garbage collection during triage slower.
            del rules
    long_bodies = (
        ("a Windows build log of MMCV's ops, hardly a line repeated", build_log(), 9),
        ("the corpus's bodies joined: tracebacks, environments, prose", joined_bodies(issues), 9),
    )
    long_times = [(label, len(body), time_one(Issue("Training fails", body), real, runs))
                  for label, body, runs in long_bodies]
    print(f"corpus: {corpus} ({len(issues)} issues); 64 KB body: {len(big.body)} chars; one core\n")
    print("| rules | dev-set median | dev-set p99 | 64 KB body | median vs 15 | 64 KB vs 15 |")
    print("| --- | --- | --- | --- | --- | --- |")
    base = rows[0]
    for label, median, p99, large in rows:
        print(
            f"| {label} | {median * 1000:.3f} ms | {p99 * 1000:.3f} ms | {large * 1000:.2f} ms"
            f" | x{median / base[1]:.1f} | x{large / base[3]:.1f} |"
        )
    print("\nOther 64 KB bodies, the FAQ's rules (the log above repeats four pieces):\n")
    print("| body | chars | time |")
    print("| --- | ---: | ---: |")
    for label, length, seconds in long_times:
        print(f"| {label} | {length:,} | {seconds * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
