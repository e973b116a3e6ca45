"""CUDA errors as numbers and names, in the runtime API's two numberings (CUDA 10.1 renumbered)."""

import pytest

from bot.cuda_errors import error_table, load_error_table, read_cuda_errors
from bot.environment import Environment, parse_environment
from bot.issue import Issue, read_issue
from bot.reference_tables import DataFileError

NO_ENV = Environment()


def names(body: str, env: Environment = NO_ENV) -> list[str]:
    return [error.name for error in read_cuda_errors(read_issue(Issue("", body)), env)]


def test_the_table_holds_both_numberings_of_the_faq_errors():
    table = error_table()
    assert table.by_code["legacy"][48] == table.by_code["current"][209] == "cudaErrorNoKernelImageForDevice"
    assert table.by_code["legacy"][8] == table.by_code["current"][98] == "cudaErrorInvalidDeviceFunction"
    assert table.by_code["legacy"][9] == table.by_code["current"][9] == "cudaErrorInvalidConfiguration"
    assert table.driver_names["CUDA_ERROR_NO_BINARY_FOR_GPU"] == "cudaErrorNoKernelImageForDevice"


@pytest.mark.parametrize(
    "body, expected",
    [
        # a number only one numbering defines needs no version
        ("RuntimeError: cuda runtime error (209) : unrecognized error code at x.cu:139", ["cudaErrorNoKernelImageForDevice"]),
        ("THCudaCheck FAIL file=nms_kernel.cu line=103 error=48 : unrecognized error code", ["cudaErrorNoKernelImageForDevice"]),
        ("CUDA error 98 in deform_conv", ["cudaErrorInvalidDeviceFunction"]),
        ("CUDA error: 209", ["cudaErrorNoKernelImageForDevice"]),
        ("CUDA driver error: 209", ["cudaErrorNoKernelImageForDevice"]),
        # the same meaning in both numberings
        ("cuda runtime error (9) : invalid configuration argument", ["cudaErrorInvalidConfiguration"]),
        # names: the runtime's enumerators and the driver API's
        ("ERROR - cudaErrorNoKernelImageForDevice", ["cudaErrorNoKernelImageForDevice"]),
        ("CUDA_ERROR_NO_BINARY_FOR_GPU", ["cudaErrorNoKernelImageForDevice"]),
        # two meanings and no version: nothing
        ("RuntimeError: cuda runtime error (8) at roi_align_kernel.cu:139", []),
        # not error numbers
        ("RuntimeError: CUDA error: out of memory", []),
        ("CUDA error: 2 MiB could not be allocated", []),
        ("cudaErrorNotARealName", []),
    ],
)
def test_numbers_and_names_without_a_version(body, expected):
    assert names(body) == expected


def test_the_reported_cuda_version_decides_an_ambiguous_number():
    before = parse_environment("PyTorch: 1.1.0+cu90")  # CUDA 9.0: the numbering before 10.1
    after = parse_environment("PyTorch: 1.8.1+cu111")
    line = "RuntimeError: cuda runtime error (8) at roi_align_kernel.cu:139"
    assert names(line, before) == ["cudaErrorInvalidDeviceFunction"]
    assert names(line, after) == ["cudaErrorProfilerAlreadyStopped"]


def test_unrecognized_error_code_means_the_other_numbering():
    # CUDA 11 printed 48 as unknown: the number came from a build with the old numbering.
    env = parse_environment("PyTorch: 1.8.1+cu111")
    assert names("THCudaCheck FAIL file=x.cu line=1 error=48 : unrecognized error code", env) == [
        "cudaErrorNoKernelImageForDevice"
    ]
    # ... but a number the reported numbering does not know, without that message, says nothing
    assert names("CUDA error 48", env) == []


def test_reports_that_disagree_across_10_1_give_no_version():
    env = parse_environment("PyTorch: 1.1.0+cu90\nNVCC: Cuda compilation tools, release 11.3, V11.3.109")
    assert names("RuntimeError: cuda runtime error (8) at x.cu:1", env) == []


def test_a_broken_table_names_its_line(tmp_path):
    path = tmp_path / "cuda_errors.csv"
    path.write_text("numbering,code,name,runtime_name\nlegacy,48,cudaErrorNoKernelImageForDevice,cudaErrorNoKernelImageForDevice\nmodern,x,y,z\n")
    with pytest.raises(DataFileError, match=":3:"):
        load_error_table(path)

