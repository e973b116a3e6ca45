"""Environment-aware diagnoses: each fires on its facts, stays silent without them, never guesses."""

from pathlib import Path

import pytest

from bot import diagnosis
from bot.diagnosis import READS, diagnose, open_checks, runs_on
from bot.environment import Environment, parse_environment
from bot.issue import Issue
from bot.reference_tables import DataFileError, compute_capability, load_compat_table, load_gpu_table
from bot.reply import render_message
from bot.rules import DIAGNOSIS_IDS, Rule, load_rules
from bot.triage import triage
from bot.version import parse_version

V = parse_version
# The shipped rules say which diagnoses speak to them (their `diagnoses:`).
RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")
ENV_DEPENDENT_RULES = [rule.id for rule in RULES.rules if rule.diagnoses]


def shipped(rule_ids) -> list[Rule]:
    return [RULES.get(rule_id) for rule_id in rule_ids]


def en(found: diagnosis.Diagnosis) -> str:
    return render_message(found.message, "en")


def zh(found: diagnosis.Diagnosis) -> str:
    return render_message(found.message, "zh")


def ids(env: Environment, *rules: str) -> list[str]:
    return [d.id for d in diagnose(env, shipped(rules))]


def only(env: Environment, *rules: str) -> diagnosis.Diagnosis:
    found = diagnose(env, shipped(rules))
    assert len(found) == 1, found
    return found[0]


def report(*lines: str) -> Environment:
    """A whole paste of these lines (ending in a newline: a paste that ends inside PyTorch's build
    details without one was cut there, and its last line is not read)."""
    return parse_environment("\n".join(lines) + "\n")


# --- 1. MMCV without compiled ops ---------------------------------------------------------------

def test_mmcv_compiler_na_means_no_ops():
    env = report("MMCV: 2.1.0", "MMCV Compiler: n/a", "MMCV CUDA Compiler: n/a")
    found = only(env, "mmcv-ops-missing")
    assert found.id == "mmcv-without-ops"
    assert found.facts == {"MMCV": "2.1.0", "MMCV Compiler": "n/a"}
    assert "MMCV 2.1.0 (`MMCV Compiler: n/a`)" in en(found) and "the full `mmcv` package" in en(found)
    assert "mmcv._ext" in zh(found) and "mim install" not in en(found)  # the command is the answer's step


@pytest.mark.parametrize("lines", [("MMCV Compiler: n/a",), ("MMCV: 0.6.2", "MMCV Compiler: n/a")])
def test_no_ops_without_a_1x_or_2x_version_names_no_package(lines):
    found = only(report(*lines), "mmcv-ops-missing")
    assert "no compiled ops" in en(found) and "mmcv-full" not in en(found) and "mmcv-lite" not in en(found)


def test_lite_mmcv_1x_in_pip_list_means_no_ops():
    env = report("mmcv                      1.7.0", "torch                     1.12.1")
    found = only(env, "mmcv-ops-missing")
    assert found.facts == {"installed package": "mmcv 1.7.0"}
    assert "not `mmcv-full`" in en(found) and "the `mmcv-full` package" in en(found)


def test_mmcv_lite_package_means_no_ops():
    found = only(report("mmcv-lite==2.1.0"), "nms-no-gpu")
    assert found.id == "mmcv-without-ops" and "mmcv-lite" in found.facts["installed package"]


def test_compiled_ops_win_over_a_pip_row():
    env = report("MMCV: 1.7.0", "MMCV Compiler: GCC 7.3", "mmcv                 1.7.0")
    assert ids(env, "mmcv-ops-missing") == []


@pytest.mark.parametrize("text", [
    "mmcv 1.7.0",  # hand-written: people say mmcv for mmcv-full
    "mmcv                2.1.0",  # mmcv 2.x is the full package
    "mmcv-full==1.7.1",
    "MMCV: 1.7.1",
])
def test_no_ops_diagnosis_needs_a_clear_fact(text):
    assert ids(report(text), "mmcv-ops-missing") == []


def test_no_ops_diagnosis_only_for_its_rules():
    assert ids(report("MMCV Compiler: n/a"), "undefined-symbol") == []


# --- 2. MMCV / MMDetection compatibility ---------------------------------------------------------

@pytest.mark.parametrize("mmdet, mmcv, accepted", [
    ("3.3.0", "2.2.0", "mmcv>=2.0.0rc4,<2.2.0"),
    ("2.19.0", "1.2.0", "mmcv-full>=1.3.8,<=1.5.0"),
    ("2.6.0", "1.3.0", "mmcv-full>=1.1.5,<1.3.0"),  # '1.3' in a list comparison rejects 1.3.0
    ("2.3.0", "1.3.1", "mmcv-full==1.0.5"),
    ("3.1.0", "1.7.1", "mmcv>=2.0.0rc4,<2.1.0"),
])
def test_incompatible_versions_name_the_range_to_install(mmdet, mmcv, accepted):
    found = only(report(f"mmcv=={mmcv}", f"mmdet=={mmdet}"), "mmcv-mmdet-compat")
    assert found.id == "mmcv-mmdet-incompatible"
    assert found.facts["accepted"] == accepted and accepted in en(found) and accepted in zh(found)


@pytest.mark.parametrize("mmdet, mmcv", [
    ("2.19.0", "1.3.18"), ("2.6.0", "1.2.7"), ("3.0.0", "2.0.0rc4"), ("2.28.2", "1.7.2"), ("3.3.0", "2.1.0"),
])
def test_compatible_versions_give_no_diagnosis(mmdet, mmcv):
    assert ids(report(f"MMCV: {mmcv}", f"MMDetection: {mmdet}"), "mmcv-mmdet-compat") == []


@pytest.mark.parametrize("lines", [
    ("MMCV: 2.2.0",),  # no mmdet
    ("MMDetection: 3.3.0",),  # no mmcv
    ("mmcv==1.6.0", "mmdet 2.25"),  # 2.25.0 rejects 1.6.1 but 2.25.1 accepts: short version
    ("mmcv==1.8", "mmdet==2.28.0"),  # short mmcv version
    ("MMCV: 1.2.0", "MMDetection: 2.0.0"),  # release not in the table
    ("MMCV: 2.2.0", "MMDetection: 3.3.0", "MMDetection: 3.1.0"),  # contradictory mmdet
    # collect_env printed it, so `import mmdet` and its MMCV assertion passed (a later checkout)
    ("MMCV: 1.1.1", "MMDetection: 2.3.0+HEAD"),
    ("MMCV: 2.2.0", "MMDetection: 3.3.0+unknown"),
])
def test_compat_needs_both_exact_versions_from_the_table(lines):
    assert ids(report(*lines), "mmcv-mmdet-compat") == []


def test_short_mmdet_version_is_fine_when_every_release_agrees():
    found = only(report("mmcv==2.2.0", "mmdet version: 3.3"), "mmcv-mmdet-compat")
    assert found.facts["accepted"] == "mmcv>=2.0.0rc4,<2.2.0"


def test_compat_diagnosis_only_for_the_compat_rule():
    env = report("MMCV: 2.2.0", "MMDetection: 3.3.0")
    assert ids(env, "undefined-symbol", "mmcv-ops-missing") == []


# --- 3. CUDA version mismatch --------------------------------------------------------------------

def test_pytorch_and_mmcv_cuda_differ():
    env = report("PyTorch: 1.12.1+cu113", "MMCV: 1.7.0", "MMCV CUDA Compiler: 10.2",
                 "NVCC: Cuda compilation tools, release 10.2, V10.2.89")
    found = only(env, "undefined-symbol")
    assert found.id == "cuda-version-mismatch"
    assert found.facts == {"PyTorch CUDA": "11.3", "MMCV CUDA Compiler": "10.2", "PyTorch": "1.12.1+cu113",
                           "NVCC": "10.2.89"}
    assert "MMCV must be reinstalled built for CUDA 11.3 and PyTorch 1.12" in en(found)
    assert "`nvcc` must be CUDA 11.3 too (yours is 10.2.89)" in en(found)


def test_cuda_mismatch_without_nvcc_note_when_nvcc_matches():
    env = report("PyTorch: 2.0.1+cu118", "MMCV: 2.0.1", "MMCV CUDA Compiler: 11.7",
                 "NVCC: Cuda compilation tools, release 11.8, V11.8.89")
    found = only(env, "cuda-arch-mismatch")
    assert "nvcc" not in en(found) and "NVCC" not in found.facts
    assert "reinstalled built for CUDA 11.8 and PyTorch 2.0" in en(found) and "mmcv-full" not in en(found)


@pytest.mark.parametrize("lines", [
    ("PyTorch: 1.12.1+cu113", "MMCV CUDA Compiler: 11.3"),  # same
    ("PyTorch: 1.12.1+cu113", "MMCV CUDA Compiler: not available"),
    ("PyTorch: 1.12.1", "MMCV CUDA Compiler: 10.2"),  # PyTorch's CUDA unknown
    ("PyTorch: 1.12.1+cu113", "NVCC: Cuda compilation tools, release 10.2, V10.2.89"),  # MMCV's unknown
    ("PyTorch: 1.12.1+cu113", "MMCV CUDA Compiler: 10.2"),  # which MMCV is unknown
])
def test_cuda_mismatch_needs_both_cuda_versions_and_a_difference(lines):
    assert ids(report(*lines), "undefined-symbol") == []


# --- 4. GPU compute capability -------------------------------------------------------------------

ARCHS_NO_KEPLER = "  - NVCC architecture flags: -gencode;arch=compute_50,code=sm_50;-gencode;arch=compute_60,code=sm_60;-gencode;arch=compute_70,code=sm_70;-gencode;arch=compute_75,code=sm_75;-gencode;arch=compute_80,code=sm_80;-gencode;arch=compute_86,code=sm_86"


def test_k80_against_a_build_without_sm37():
    found = only(report("GPU 0: Tesla K80", ARCHS_NO_KEPLER), "cuda-arch-mismatch")
    assert found.id == "gpu-not-in-pytorch-build"
    assert found.facts["Tesla K80"] == "compute capability 3.7"
    assert "sm_37" in en(found) and 'TORCH_CUDA_ARCH_LIST="3.7"' in en(found)


@pytest.mark.parametrize("name", [
    "NVIDIA GeForce RTX 3090", "GeForce RTX 3090", "Tesla V100S-PCIE-32GB", "NVIDIA A100-SXM4-40GB",
    "NVIDIA GeForce RTX 4090",  # 8.9 runs sm_86 code (same major)
])
def test_supported_gpus_give_no_diagnosis(name):
    assert ids(report(f"GPU 0: {name}", ARCHS_NO_KEPLER), "cuda-arch-mismatch") == []


def test_only_the_unsupported_gpu_is_named():
    env = report("GPU 0: Tesla K80", "GPU 1: Tesla T4", ARCHS_NO_KEPLER)
    assert list(only(env, "cuda-arch-mismatch").facts) == ["Tesla K80", "PyTorch built for"]


@pytest.mark.parametrize("lines", [
    ("GPU 0: Moore Threads MTT S80", ARCHS_NO_KEPLER),  # unknown name
    ("GPU 0: Tesla K80",),  # archs unknown
    (ARCHS_NO_KEPLER,),  # GPU unknown
])
def test_gpu_diagnosis_needs_a_known_gpu_and_the_build_archs(lines):
    assert ids(report(*lines), "cuda-arch-mismatch") == []


@pytest.mark.parametrize("archs, capability, runs", [
    (("sm_80",), (8, 6), True),  # binary compatible within a major version
    (("sm_86",), (8, 0), False),
    (("sm_75",), (8, 0), False),
    (("sm_50", "compute_50"), (8, 6), True),  # PTX is compiled just in time
    (("compute_90",), (8, 6), False),
    (("sm_90a",), (9, 0), True),
    (("sm_90a",), (9, 1), False),
    (("sm_120",), (12, 0), True),
])
def test_runs_on(archs, capability, runs):
    assert runs_on(archs, capability) is runs


@pytest.mark.parametrize("name, capability", [
    ("NVIDIA GeForce RTX 3090", (8, 6)),
    ("GeForce RTX 3090", (8, 6)),
    ("Tesla V100S-PCIE-32GB", (7, 0)),
    ("Tesla K80", (3, 7)),
    ("NVIDIA A100-SXM4-40GB", (8, 0)),
    ("NVIDIA A100-SXM4-40GB MIG 3g.20gb", (8, 0)),
    ("NVIDIA GeForce RTX 3060 Laptop GPU", (8, 6)),
    ("NVIDIA GeForce GTX 1650 with Max-Q Design", (7, 5)),
    ("TITAN X (Pascal)", (6, 1)),
    ("GeForce GTX TITAN X", (5, 2)),
    ("NVIDIA GeForce RTX 4090 D", None),  # an unlisted variant is unknown, not a guess
    ("NVIDIA GeForce RTX 30", None),
    ("", None),
])
def test_gpu_names_are_normalised(name, capability):
    assert compute_capability(name) == capability


# --- 5. GCC --------------------------------------------------------------------------------------

def test_gcc_55_for_segfault():
    found = only(report("GCC: gcc (Ubuntu 5.5.0-12ubuntu1) 5.5.0 20171010"), "segfault")
    assert found.id == "gcc-version" and found.facts == {"GCC": "GCC 5.5.0"}
    assert "GCC 5.4" in en(found) and "5.4" in zh(found)


def test_mmcv_compiled_with_gcc_55():
    found = only(report("MMCV Compiler: GCC 5.5"), "segfault")
    assert found.facts == {"MMCV Compiler": "GCC 5.5"}


def test_gcc_older_than_49():
    found = only(report("GCC: gcc (GCC) 4.8.5 20150623 (Red Hat 4.8.5-44)"), "segfault")
    assert "older than 4.9" in en(found)


@pytest.mark.parametrize("lines, rule", [
    (("GCC: gcc (Ubuntu 9.4.0-1ubuntu1~20.04.1) 9.4.0",), "segfault"),
    (("GCC: gcc (GCC) 5.4.0",), "segfault"),
    (("GCC: gcc (Ubuntu 5.5.0-12ubuntu1) 5.5.0", "MMCV Compiler: GCC 7.3"), "segfault"),  # prebuilt ops
    (("GCC: gcc (Ubuntu 5.5.0-12ubuntu1) 5.5.0",), "undefined-symbol"),
    (("GCC: n/a", "MMCV Compiler: MSVC 192930140"), "segfault"),
])
def test_gcc_diagnosis_stays_silent(lines, rule):
    assert ids(report(*lines), rule) == []


# --- 6. Windows build errors ---------------------------------------------------------------------

def test_windows_with_the_named_pytorch_is_confirmed():
    found = only(report("sys.platform: win32", "PyTorch: 1.6.0"), "win-torch160-in-class-init")
    assert found.id == "windows-case-confirmed" and found.facts == {"sys.platform": "win32", "PyTorch": "1.6.0"}


def test_windows_with_cuda_92_confirms_msvc_entry():
    env = report("sys.platform: win32", "NVCC: Cuda compilation tools, release 9.2, V9.2.148")
    assert only(env, "msvc-unsupported").facts["NVCC"] == "9.2.148"


def test_windows_without_exact_version_is_not_confirmed():
    assert ids(report("sys.platform: win32", "pytorch: 1.6"), "win-torch160-in-class-init") == []


# --- 7. CUDA not available -----------------------------------------------------------------------

def test_cpu_only_pytorch():
    found = only(report("CUDA available: False", "PyTorch: 2.0.1+cpu"), "nms-no-gpu")
    assert found.id == "cuda-unavailable" and "CPU-only" in en(found)
    assert found.facts == {"CUDA available": "False", "PyTorch": "2.0.1+cpu"}


def test_cuda_pytorch_that_cannot_see_the_gpu():
    found = only(report("CUDA available: False", "PyTorch: 1.12.1+cu113"), "nms-no-gpu")
    assert "nvidia-smi" in en(found) and "CUDA 11.3" in en(found) and "CPU-only" not in en(found)


def test_cuda_unavailable_with_unknown_build_says_how_to_tell():
    found = only(report("CUDA available: False", "PyTorch: 1.13.1"), "segfault")
    assert "torch.version.cuda" in en(found)


@pytest.mark.parametrize("lines, rule", [
    (("CUDA available: True", "PyTorch: 2.0.1+cpu"), "nms-no-gpu"),
    (("PyTorch: 2.0.1+cpu",), "nms-no-gpu"),  # availability not reported
    (("CUDA available: False",), "registry-key-error"),
])
def test_cuda_unavailable_needs_the_fact_and_a_gpu_error(lines, rule):
    assert ids(report(*lines), rule) == []


def test_mmcv_compiled_without_cuda_for_nms():
    env = report("PyTorch: 1.13.1+cu117", "MMCV: 1.7.1", "MMCV Compiler: GCC 9.3",
                 "MMCV CUDA Compiler: not available")
    found = only(env, "nms-no-gpu")
    assert found.id == "mmcv-built-without-cuda" and "CUDA 11.7" in en(found)


# --- the whole -----------------------------------------------------------------------------------

def test_empty_environment_gives_nothing():
    every_rule = shipped({*ENV_DEPENDENT_RULES, "registry-key-error"})
    assert diagnose(Environment(), every_rule) == ()


def test_every_diagnosis_has_both_languages_and_filled_templates():
    env = report("sys.platform: win32", "CUDA available: False", "PyTorch: 1.6.0+cu101",
                 "GPU 0: Tesla K80", ARCHS_NO_KEPLER, "MMCV: 1.7.0", "MMCV Compiler: GCC 5.5",
                 "MMCV CUDA Compiler: 10.2", "MMDetection: 3.1.0")
    found = diagnose(env, shipped(ENV_DEPENDENT_RULES))
    assert len({d.id for d in found}) >= 5
    for item in found:
        assert en(item) and zh(item) and "{" not in en(item) + zh(item) and item.facts


def test_every_diagnosis_says_in_both_languages_what_it_will_check():
    from bot.answer import TEXT

    for language in ("en", "zh"):
        for name in READS:
            keys = (["check-windows-pytorch", "check-windows-nvcc"] if name == "windows-case-confirmed"
                    else ["check-" + name])
            assert all(TEXT[language].get(key) for key in keys), (language, name)


def test_open_checks_are_the_rules_diagnoses_the_issue_leaves_open_in_the_rules_order():
    segfault = shipped(["segfault"])[0]
    assert open_checks(Environment(), segfault) == ("cuda-unavailable", "gcc-version")
    assert open_checks(report("GCC: 9.4"), segfault) == ("cuda-unavailable",)  # GCC named: that check can tell
    assert open_checks(report("CUDA available: True"), segfault) == ()  # collect_env pasted: never asked again
    assert open_checks(Environment(), shipped(["registry-key-error"])[0]) == ()  # nothing to check


def test_shipped_tables_load():
    assert len(load_compat_table()) == 39
    assert load_gpu_table()[("k80",)] == (3, 7)


@pytest.mark.parametrize("content, message", [
    ("gpu,cc\n", ":1: header must be"),
    ("gpu,compute_capability\nTesla K80,3.7\nTesla K80,3.7\n", ":3: 'Tesla K80' is listed twice"),
    ("gpu,compute_capability\nTesla K80,three\n", ":2: expected a GPU name"),
    ("gpu,compute_capability\nTesla K80\n", ":2: expected 2 columns"),
])
def test_bad_gpu_table_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "gpus.csv"
    path.write_text(content)
    with pytest.raises(DataFileError, match=message) as error:
        load_gpu_table(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("content", ["compute_capability,first_cuda,last_cuda\n8.6,eleven,\n",
                                     "compute_capability,first_cuda,last_cuda\nsm_86,11.1,\n"])
def test_bad_cuda_arch_table_names_file_and_line(tmp_path, content):
    from bot.reference_tables import arch_table, load_arch_table

    path = tmp_path / "cuda_archs.csv"
    path.write_text(content)
    with pytest.raises(DataFileError, match=r"cuda_archs.csv:2: expected a capability and CUDA versions"):
        load_arch_table(path)
    assert {row.capability for row in arch_table()} >= {(3, 7), (8, 0), (8, 6), (8, 9), (9, 0)}


def test_bad_compat_table_names_file_and_line(tmp_path):
    path = tmp_path / "compat.csv"
    path.write_text("mmdet_version,mmcv_min,mmcv_max,source_url\n2.19.0,1.x,1.5.0,https://example.org\n")
    with pytest.raises(DataFileError, match=r"compat.csv:2: expected versions"):
        load_compat_table(path)


def test_missing_table_is_a_data_file_error(tmp_path):
    with pytest.raises(DataFileError, match="cannot read"):
        load_gpu_table(tmp_path / "absent.csv")


# --- which diagnoses apply is the rules' own declaration -----------------------------------------

def test_diagnoses_follow_the_rule_yaml_not_its_id(tmp_path):
    """A rule renamed (file and id) keeps its diagnoses and what it asks for: they are in its YAML."""
    for path in (Path(__file__).resolve().parent.parent / "rules").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path.stem == "nms-no-gpu":
            path, text = tmp_path / "ops-built-without-gpu.yaml", text.replace("id: nms-no-gpu", "id: ops-built-without-gpu")
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    renamed = load_rules(tmp_path)
    body = "RuntimeError: nms is not compiled with GPU support\n"
    env_lines = "CUDA available: False\nPyTorch: 2.0.1+cpu\nMMCV: 1.7.1\nMMCV Compiler: GCC 9.3\nMMCV CUDA Compiler: not available\n"
    for text in (body, body + env_lines):
        before = triage(Issue("nms fails", text, "open-mmlab/mmdetection"), RULES)
        after = triage(Issue("nms fails", text, "open-mmlab/mmdetection"), renamed)
        assert [m.rule.id for m in after.matches] == ["ops-built-without-gpu"]
        assert after.diagnoses == before.diagnoses and after.comment == before.comment
    assert [d.id for d in after.diagnoses] == ["cuda-unavailable", "mmcv-built-without-cuda"]
    assert open_checks(Environment(), renamed.get("ops-built-without-gpu")) == open_checks(Environment(), shipped(["nms-no-gpu"])[0])


def test_every_declared_diagnosis_is_one_diagnosis_py_defines():
    assert {name for rule in RULES.rules for name in rule.diagnoses} == set(DIAGNOSIS_IDS)


def test_no_rule_id_is_written_into_the_code():
    code = "\n".join(path.read_text(encoding="utf-8") for path in (Path(diagnosis.__file__).parent).glob("*.py"))
    assert [rule_id for rule_id in RULES.ids if f'"{rule_id}"' in code or f"'{rule_id}'" in code] == []


def test_every_diagnosis_made_carries_an_id_rules_can_name():
    env = report("sys.platform: win32", "CUDA available: False", "PyTorch: 1.6.0+cu101",
                 "GPU 0: Tesla K80", ARCHS_NO_KEPLER, "MMCV: 1.7.0", "MMCV Compiler: GCC 5.5",
                 "MMCV CUDA Compiler: 10.2", "MMDetection: 3.1.0")
    found = diagnose(env, shipped(ENV_DEPENDENT_RULES))
    assert found and {d.id for d in found} <= set(DIAGNOSIS_IDS)


def test_every_diagnosis_the_rule_schema_knows_is_implemented_and_no_other():
    assert set(diagnosis.IMPLEMENTED) == set(DIAGNOSIS_IDS)


def test_what_each_diagnosis_reads_is_declared_in_environment_fields():
    fields = set(Environment.__dataclass_fields__)
    assert set(diagnosis.READS) == set(diagnosis.IMPLEMENTED)
    assert all(alternatives and all(reads <= fields for reads in alternatives)
               for alternatives in diagnosis.READS.values())


@pytest.mark.parametrize("capability, cuda, built", [
    ((8, 6), "11.3", (8, 6)),
    ((8, 9), "11.7", (8, 6)),  # CUDA 11.7 knows no sm_89; sm_86's code runs on an 8.9 board
    ((8, 6), "11.0", (8, 0)),
    ((8, 6), "10.2", "newer-cuda"),  # no sm_8x at all before CUDA 11.0
    ((9, 0), "11.7", "newer-cuda"),
    ((3, 7), "12.1", "older-cuda"),  # CUDA 12.0 dropped the K80's sm_37
    ((3, 7), "11.3", (3, 7)),
    ((7, 5), None, (7, 5)),  # no CUDA known: the GPU's own
])
def test_the_architecture_to_build_is_one_the_cuda_at_hand_compiles(capability, cuda, built):
    from bot.reference_tables import arch_to_build
    from bot.version import parse_version

    assert arch_to_build(capability, parse_version(cuda) if cuda else None) == built
