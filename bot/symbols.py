"""Who a missing symbol or library belongs to: a small Itanium C++ ABI name reader (pure).

``undefined symbol: _ZNK2at10TensorBase8data_ptrIfEEPT_v`` names ``at::TensorBase::data_ptr<float>``:
PyTorch's. Only the entity's qualified name is read (namespaces, classes, the function's own name
and its template arguments shown as ``<…>``), never the parameter types: the outermost scope is
what says who provides the symbol. Grammar: https://itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling
(<encoding>, <nested-name>, <unscoped-name>, <substitution>, <special-name>).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# <substitution>s for the standard library's common names.
_STD_ABBREVIATIONS = {
    "St": "std", "Sa": "std::allocator", "Sb": "std::basic_string", "Ss": "std::string",
    "Si": "std::istream", "So": "std::ostream", "Sd": "std::iostream",
}
# <special-name>s that wrap a type or an encoding: vtable, typeinfo, typeinfo name, VTT, guards.
_SPECIAL_TYPE = ("TV", "TI", "TS", "TT")
_SPECIAL_ENCODING = ("GV", "GR", "TH", "TW")
_CTOR_DTOR = re.compile(r"C[1-5I]|D[0-5]")
_OPERATOR = re.compile(r"[a-z][a-zA-Z]")
MAX_SYMBOL_CHARS = 1_000

# Outermost scopes and plain C names, and whose they are.
PYTORCH_SCOPES = frozenset({"at", "c10", "torch", "caffe2", "aten", "pybind11::detail::torch"})
CXX_RUNTIME_SCOPES = frozenset({"std", "__gnu_cxx", "__cxxabiv1"})
_PYTORCH_C = re.compile(r"^(?:TH[A-Z]?\w|THP\w|THC\w|at_\w|torch_\w)")
_CUDA_C = re.compile(r"^(?:__cuda\w|cuda[A-Z]\w|cu(?:blas|dnn|fft|rand|sparse|solver)\w|nvrtc\w|cu[A-Z][a-z]\w)")


@dataclass(frozen=True)
class Symbol:
    mangled: str
    name: str  # "at::TensorBase::data_ptr<…>", or the plain C name itself
    scope: str  # outermost namespace or class ("at"), "" for a name in the global scope
    owner: str  # "pytorch" | "cxx-runtime" | "cuda" | "other"


def read_symbol(mangled: str) -> Symbol:
    """The symbol's qualified name and owner; a name that does not parse is a plain C name."""
    mangled = mangled.strip().strip("'\"`,;.)(")[:MAX_SYMBOL_CHARS]
    parts = _qualified_name(mangled) if mangled.startswith("_Z") else None
    if parts is None and (demangled := _DEMANGLED.match(mangled)):
        # already demangled (c++filt, or a loader that prints names so): "c10::cuda::c10_cuda_check_implementation"
        return Symbol(mangled, demangled[1], demangled[2], _scoped_owner(demangled[2], ""))
    if parts is None:
        scope = _first_scope(mangled)  # a symbol cut short (a title) still names its namespace
        owner = _scoped_owner(scope, "") if scope else _plain_owner(mangled)
        return Symbol(mangled, mangled, scope, owner)
    scope = parts[0] if len(parts) > 1 else ""
    return Symbol(mangled, "::".join(parts), scope, _scoped_owner(scope, parts[-1]))


# A demangled qualified name, its outermost namespace first ("vtable for" and the like left out).
_DEMANGLED = re.compile(r"^(?:(?:vtable|typeinfo(?: name)?|VTT|guard variable) for )?(([A-Za-z_]\w*)(?:<[^>]*>)?::\S+)")


def _first_scope(mangled: str) -> str:
    found = _NESTED_START.match(mangled)
    if not found:
        return ""
    length, rest = int(found[1]), found[2]
    return rest[:length] if len(rest) > length else ""


_NESTED_START = re.compile(r"^_Z(?:T[VIS])?N[rVKRO]{0,3}(\d{1,3})(\w+)")


def _plain_owner(name: str) -> str:
    if _CUDA_C.match(name):
        return "cuda"
    if _PYTORCH_C.match(name):
        return "pytorch"
    return "other"


def _scoped_owner(scope: str, last: str) -> str:
    head = scope.split("::")[0].split("<")[0]
    if head in CXX_RUNTIME_SCOPES:
        return "cxx-runtime"
    if head in PYTORCH_SCOPES:
        return "pytorch"
    if not scope:
        return _plain_owner(last.split("<")[0])
    return "other"


class _Reader:
    def __init__(self, text: str):
        self.text, self.at = text, 0

    def peek(self, size: int = 1) -> str:
        return self.text[self.at : self.at + size]

    def take(self, size: int = 1) -> str:
        piece = self.peek(size)
        self.at += size
        return piece

    def source_name(self) -> str | None:
        digits = re.match(r"\d+", self.text[self.at :])
        if not digits:
            return None
        self.at += len(digits[0])
        length = int(digits[0])
        name = self.take(length)
        if len(name) != length:
            return None
        return "(anonymous namespace)" if name.startswith("_GLOBAL__N") else name

    def skip_balanced(self) -> bool:
        """Skip template arguments up to their closing E (the I was taken); False if unclosed."""
        depth = 1
        while self.at < len(self.text):
            char = self.peek()
            if char.isdigit():
                if self.source_name() is None:
                    return False
                continue
            self.at += 1
            if char == "L" and self.peek(2) != "_Z":  # a literal, L <type> <number> E: its digits are no name
                end = self.text.find("E", self.at)
                if end == -1:
                    return False
                self.at = end + 1
            elif char in "INLXFZ":  # nested, template args, an external name (L_Z), expression, function, local
                depth += 1
            elif char == "E":
                depth -= 1
                if depth == 0:
                    return True
            elif char == "S" or char == "T":  # S_, S0_, St, Sa..., T_, T0_: up to their end
                while self.at < len(self.text) and self.peek() not in "_" and self.peek().isalnum() and \
                        not self.peek().islower():
                    self.at += 1
                if self.peek() == "_" or self.peek().islower():
                    self.at += 1
        return False


def _qualified_name(mangled: str) -> list[str] | None:
    reader = _Reader(mangled)
    reader.at = 2
    special = reader.peek(2)
    if special in _SPECIAL_TYPE or special in _SPECIAL_ENCODING:
        reader.at += 2
    elif special in ("Th", "Tv"):  # thunks: a call offset up to "_", then the encoding
        reader.at = mangled.find("_", 4) + 1 if special == "Th" else mangled.find("_", mangled.find("_", 4) + 1) + 1
        if reader.at <= 0:
            return None
    return _name(reader)


def _name(reader: _Reader) -> list[str] | None:
    char = reader.peek()
    if char == "N":
        reader.take()
        while reader.peek() in ("r", "V", "K", "R", "O"):  # CV and ref qualifiers of a member
            reader.take()
        return _prefix(reader, until_e=True)
    if char == "Z":  # a local entity: <encoding> E <entity>; the enclosing function says whose
        reader.take()
        return _name(reader)
    if char == "S" and reader.peek(2) in _STD_ABBREVIATIONS:
        parts = _STD_ABBREVIATIONS[reader.take(2)].split("::")
        rest = _prefix(reader, until_e=False)
        return parts + (rest or [])
    return _prefix(reader, until_e=False)


def _prefix(reader: _Reader, until_e: bool) -> list[str] | None:
    """Components of a (nested) name: source names, ctors/dtors, operators, <template args>."""
    parts: list[str] = []
    while reader.at < len(reader.text):
        char = reader.peek()
        if char == "E" and until_e:
            reader.take()
            return parts or None
        if char.isdigit():
            name = reader.source_name()
            if name is None:
                return None
            parts.append(name)
        elif char == "I" and parts:
            reader.take()
            if not reader.skip_balanced():
                return None
            parts[-1] += "<…>"
        elif char == "S" and reader.peek(2) in _STD_ABBREVIATIONS and not parts:
            parts += _STD_ABBREVIATIONS[reader.take(2)].split("::")
        elif char == "S":  # a substitution of an earlier component: its text is not kept
            reader.take()
            while reader.at < len(reader.text) and reader.peek() != "_":
                reader.take()
            reader.take()
            parts.append("…")
        elif _CTOR_DTOR.match(reader.peek(2)) and parts:
            code = reader.take(2)
            base = parts[-1].split("<")[0]
            parts.append(("~" if code[0] == "D" else "") + base)
        elif until_e and _OPERATOR.match(reader.peek(2)) and parts:
            parts.append("operator " + reader.take(2))
        elif char == "B":  # <abi-tag>: B <source-name>, e.g. B5cxx11
            reader.take()
            if reader.source_name() is None:
                return None
        else:
            break
        if not until_e and parts and reader.peek() != "I":
            break  # an unscoped name is one component (with its template arguments)
    if until_e:
        return None  # a nested name must end with E
    return parts or None


# ---- libraries that cannot be loaded --------------------------------------------------------

# The CUDA toolkit's runtime libraries: a build made against CUDA X.Y asks for libcudart.so.X.Y.
_CUDA_LIBRARIES = re.compile(
    r"^lib(?:cudart|cublas(?:Lt)?|cudnn\w{0,20}|cufft\w?|curand|cusparse(?:Lt)?|cusolver\w{0,4}|nvrtc[\w-]{0,12}"
    r"|nvToolsExt|nvJitLink|cupti|nccl)$"
)
_PYTORCH_LIBRARIES = re.compile(r"^lib(?:torch\w{0,20}|c10\w{0,10}|caffe2\w{0,20}|shm)$")


@dataclass(frozen=True)
class Library:
    file: str  # "libcudart.so.10.1"
    stem: str  # "libcudart"
    version: str  # "10.1", "" when the file name carries none
    owner: str  # "cuda-runtime" | "pytorch" | "mmcv-ops" | "other"


def read_library(file: str) -> Library:
    """Whose library ``libcudart.so.10.1`` is, and the version the build asked for."""
    base = file.replace("\\", "/").rsplit("/", 1)[-1]
    stem, _, rest = base.partition(".so")
    version = rest.lstrip(".")
    if _CUDA_LIBRARIES.match(stem):
        owner = "cuda-runtime"
    elif _PYTORCH_LIBRARIES.match(stem):
        owner = "pytorch"
    elif stem == "_ext" or stem.startswith("_ext.") or "/mmcv/" in file:
        owner = "mmcv-ops"
    else:
        owner = "other"
    return Library(base, stem, version, owner)
