"""Reading who a missing symbol or library belongs to, from its Itanium C++ ABI mangling."""

import pytest

from bot.symbols import read_library, read_symbol


@pytest.mark.parametrize(
    "mangled, name, owner",
    [
        ("_ZNK2at10TensorBase8data_ptrIfEEPT_v", "at::TensorBase::data_ptr<…>", "pytorch"),
        ("_ZN3c104cuda20CUDACachingAllocator9allocatorE", "c10::cuda::CUDACachingAllocator::allocator", "pytorch"),
        ("_ZN5torch3jit17parseSchemaOrNameERKSs", "torch::jit::parseSchemaOrName", "pytorch"),
        ("_ZN6caffe28TypeMeta21_typeMetaDataInstanceIfEEPKNS_6detail12TypeMetaDataEv",
         "caffe2::TypeMeta::_typeMetaDataInstance<…>", "pytorch"),
        ("_ZTIN3c1021AutogradMetaInterfaceE", "c10::AutogradMetaInterface", "pytorch"),  # typeinfo
        ("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1EPKcRKS3_",
         "std::__cxx11::basic_string<…>::basic_string", "cxx-runtime"),
        ("_ZTVN10__cxxabiv117__class_type_infoE", "__cxxabiv1::__class_type_info", "cxx-runtime"),
        # plain C names
        ("cudaLaunchKernel", "cudaLaunchKernel", "cuda"),
        ("__cudaRegisterFatBinaryEnd", "__cudaRegisterFatBinaryEnd", "cuda"),
        ("THPVariableClass", "THPVariableClass", "pytorch"),
        ("iJIT_NotifyEvent", "iJIT_NotifyEvent", "other"),
        # a function in the global namespace taking an at::Tensor is still not PyTorch's
        ("_Z11nms_forwardRKN2at6TensorES2_f", "nms_forward", "other"),
        ("_ZN8pybind116detail11type_casterIN2at6TensorEvE4loadENS_6handleEb",
         "pybind11::detail::type_caster<…>::load", "other"),
        # template arguments holding literals (Li1E) and substitutions (S0_)
        ("_ZN2at6native6detail6kernelILi1EN3c104HalfEEEvRKNS_6TensorE", "at::native::detail::kernel<…>", "pytorch"),
        ("_ZN3c104impl12boxed_kernelILb1ES0_EEvv", "c10::impl::boxed_kernel<…>", "pytorch"),
    ],
)
def test_the_outer_scope_says_whose_symbol_it_is(mangled, name, owner):
    symbol = read_symbol(mangled)
    assert (symbol.name, symbol.owner) == (name, owner)


@pytest.mark.parametrize("demangled, scope, owner", [
    # as c++filt prints them, or a loader that demangles
    ("c10::cuda::c10_cuda_check_implementation", "c10", "pytorch"),
    ("at::Tensor::data_ptr<float>", "at", "pytorch"),
    ("vtable for torch::autograd::Node", "torch", "pytorch"),
    ("std::__cxx11::basic_string<char, std::char_traits<char>>::_M_create", "std", "cxx-runtime"),
    ("my_ops::points_forward", "my_ops", "other"),
])
def test_a_demangled_name_says_whose_symbol_it_is_too(demangled, scope, owner):
    symbol = read_symbol(demangled)
    assert (symbol.scope, symbol.owner) == (scope, owner)


def test_a_symbol_cut_short_still_names_its_namespace():
    assert read_symbol("_ZN2at6native").owner == "pytorch"
    assert read_symbol("_ZNK3c1010Tens").scope == "c10"


@pytest.mark.parametrize("junk", ["_Z", "_ZN", "_Z999x", "_ZNI", "_ZN3abcIIIIE", "", "'", "_ZN2at" + "I" * 500])
def test_garbage_never_raises(junk):
    read_symbol(junk)


@pytest.mark.parametrize(
    "file, owner, version",
    [
        ("libcudart.so.10.1", "cuda-runtime", "10.1"),
        ("libcublas.so.11", "cuda-runtime", "11"),
        ("libnvrtc-builtins.so.11.1", "cuda-runtime", "11.1"),
        ("libcudnn.so.8", "cuda-runtime", "8"),
        ("libtorch_cpu.so", "pytorch", ""),
        ("libc10_cuda.so", "pytorch", ""),
        ("/x/site-packages/mmcv/_ext.cpython-38-x86_64-linux-gnu.so", "mmcv-ops", ""),
        ("libGL.so.1", "other", "1"),
        ("libnvinfer.so.8", "other", "8"),
    ],
)
def test_libraries_and_the_version_they_ask_for(file, owner, version):
    library = read_library(file)
    assert (library.owner, library.version) == (owner, version)
