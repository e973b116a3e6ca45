"""What an issue's errors say beyond their wording: CUDA error numbers, who a missing symbol or
library belongs to, registry names MMCV, MMDetection, MMEngine, MMPose and MMSegmentation really register (pure).

Each reader turns a form of error into a ``Finding``: a kind, a value rules can ask for (a rule
pattern ``finding: missing-symbol`` with ``is: [pytorch, ...]``), and the fields the reply needs
to say what it means for this reporter. A *hint* (a misspelt class name, a class newer than the
installed release) is not an FAQ entry: it is reported apart from the matched rules.
"""

from __future__ import annotations

import re

from bot import cuda_errors, registry_names
from bot.cuda_errors import numbering_range
from bot.environment import Environment, EnvironmentSource, resolve_environment
from bot.finding import Finding
from bot.issue import IssueText
from bot.symbols import read_library, read_symbol

__all__ = ["Finding", "KINDS", "allowed_values", "read_findings"]


# Every kind and the values its reader gives, for validating rules.
KINDS: dict[str, tuple[str, ...]] = {
    "cuda-error": (),  # values: the runtime API's enumerator names (rules/data/cuda_errors.csv)
    "missing-symbol": ("pytorch", "cxx-runtime", "cuda", "mmcv-ops", "own-op", "pytorch-internal", "extension",
                       "other", "unknown"),
    "missing-library": ("cuda-runtime", "pytorch", "mmcv-ops", "extension", "other"),
    "already-registered": ("mmcv-class", "other"),
    "registry-miss": ("unregistered", "newer-release", "older-release", "misspelt"),
    "ops-missing": ("mmcv-2", "mmcv-1", "unknown"),
}


def allowed_values(kind: str) -> frozenset[str]:
    if kind == "cuda-error":
        return cuda_errors.known_runtime_names()
    return frozenset(KINDS.get(kind, ()))


def read_findings(text: IssueText, env: EnvironmentSource) -> tuple[Finding, ...]:
    """Every finding in the issue, in reading order within each kind. ``env`` is read only where a
    finding depends on it (which numbering a CUDA error's number is in, which MMCV lacks its ops)."""
    return (
        *_cuda_errors(text, env),
        *_undefined_symbols(text),
        *_missing_libraries(text),
        *registry_names.read_registry_errors(text, env),
        *_ops_missing(text, env),
    )


def _cuda_errors(text: IssueText, env: EnvironmentSource) -> list[Finding]:
    return [
        Finding("cuda-error", error.name, error.line, "cuda-error" if error.code is not None else "",
                (("code", "" if error.code is None else str(error.code)), ("name", error.name),
                 ("numbering", numbering_range(error.numbering))))
        for error in cuda_errors.read_cuda_errors(text, env)
    ]


# --- undefined symbols -------------------------------------------------------------------------

_GLIBCXX = re.compile(r"\b((?:GLIBCXX|CXXABI)_[\d.]{1,12}\d)\W{0,2} not found")
_SPECIAL_NAME = re.compile(r"^(?:vtable|typeinfo(?: name)?|VTT|guard variable) for ")
_SYMBOL_END = re.compile(r"[\s'\"`,;)(\]]")
# The library that lacks the symbol: mmcv's or another OpenMMLab package's compiled ops, which
# stand in the package's folder (mmcv/_ext...so) or its ops folder (mmdet/ops/nms/nms_ext...so in
# MMDetection before 2.3, mmdet3d/ops/...) ... but not every library under a checkout's folder:
# mmdetection/projects/<name>/ops/_C...so is the reporter's own op ...
_OPENMMLAB_PATH = re.compile(r"[/\\]mm[a-z0-9]{1,12}[/\\](?:_ext|ops[/\\])|\bmmcv\b")
# ... or PyTorch's own libraries: then PyTorch's installation is broken, not MMCV's build.
_PYTORCH_PATH = re.compile(r"[/\\]torch[/\\](?:lib[/\\]|_C\b)|^(?:libtorch|libc10|libcaffe2)\w{0,20}\.so")


def _undefined_symbols(text: IssueText) -> list[Finding]:
    found = []
    for number in text.lines_holding(("undefined symbol", "glibcxx_", "cxxabi_")):
        line = text.lines[number]
        version = _GLIBCXX.search(line)
        if version:
            found.append(Finding("missing-symbol", "cxx-runtime", number, "symbol-cxx-version",
                                 (("version", version[1]),)))
            continue
        at = line.lower().find("undefined symbol")
        if at == -1:
            continue
        library = _library_before(line[:at])
        after = line[at + len("undefined symbol"):]
        if not library and not after.lstrip(" ").startswith(":"):
            continue  # prose about an error ("undefined symbols for architecture arm64"), not the error
        rest = _SPECIAL_NAME.sub("", after.lstrip(" :"))  # "vtable for at::..." (demangled): the name after it
        mangled = _SYMBOL_END.split(rest, 1)[0] if rest else ""
        found.append(_symbol_finding(mangled, library, number))
    # A title says nothing the body's full line of the same library does not: cut after "undefined
    # symbol", or naming the library without its folder, whose symbol it is decides there (another
    # project's extension is not MMCV's case).
    told = {_base(dict(f.fields).get("library", "")) for f in found if f.value != "unknown"}
    in_body = {_module(dict(f.fields).get("library", "")) for f in found if f.line > 0} - {""}
    return [f for f in found if (f.value != "unknown" or _base(dict(f.fields).get("library", "")) not in told)
            and not (f.line == 0 and _module(dict(f.fields).get("library", "")) in in_body)]


def _module(library: str) -> str:
    """The library's module name: "_ext" of "_ext.so" and of "_ext.cpython-38-x86_64-linux-gnu.so"."""
    return _base(library).split(".", 1)[0]


def _base(library: str) -> str:
    return library.replace("\\", "/").rsplit("/", 1)[-1]


def _library_before(prefix: str) -> str:
    """The library named before ": undefined symbol" ("/x/mmcv/_ext...so"), or ""."""
    words = prefix.rstrip(" :").split()
    last = words[-1].strip("'\"`") if words else ""
    return last if ".so" in last or last.endswith(".pyd") else ""


# The message of a symbol's note when no library is named: the same note, told without the library.
UNNAMED = "-unnamed"


def _symbol_finding(mangled: str, library: str, line: int) -> Finding:
    if not mangled or mangled in (":", "..."):
        return Finding("missing-symbol", "unknown", line, "", (("library", library),))
    symbol = read_symbol(mangled)
    fields = (("symbol", symbol.name), ("scope", symbol.scope), ("library", library.rsplit("/", 1)[-1]))
    base = _base(library)
    if _PYTORCH_PATH.search(library):
        return Finding("missing-symbol", "pytorch-internal", line, "", fields)
    openmmlab = bool(_OPENMMLAB_PATH.search(library)) or (base.startswith("_ext") and "/" not in library)
    if symbol.owner != "other" and not openmmlab and ("/" in library or "\\" in library):
        # PyTorch's (or the C++ runtime's, or CUDA's) symbol missing from another project's extension,
        # its path given (site-packages/MultiScaleDeformableAttention-1.0.egg/...so): that extension
        # was built against another PyTorch, and no MMCV wheel mends it
        return Finding("missing-symbol", "extension", line, "", fields)
    if symbol.owner != "other":
        # a title that names the symbol alone ("undefined symbol: _ZN3c10...") says no library
        message = f"symbol-{symbol.owner}" + ("" if base else UNNAMED)
        return Finding("missing-symbol", symbol.owner, line, message, fields)
    if openmmlab:
        if not _names_an_openmmlab_op(symbol.name):
            # a function of an op the reporter added to the source tree (its launcher not compiled or
            # registered): their code's, not a build that differs at run time
            return Finding("missing-symbol", "own-op", line, "", fields)
        return Finding("missing-symbol", "mmcv-ops", line, "symbol-mmcv-ops", fields)
    return Finding("missing-symbol", "other", line, "", fields)


# The ops MMCV compiles (its mmcv/ops/csrc/pytorch/*.cpp, 1.x and 2.x) and MMDetection compiled before
# 2.3 (mmdet/ops), as the words their functions' names hold, lowercased without "_": a launcher
# "PointsInBoxesPartForwardCUDAKernelLauncher" holds "pointsinboxes", "deformable_im2col" "deform".
_OPENMMLAB_OP_WORDS = (
    "activerotatedfilter", "affinegrid", "assignscorewithk", "ballquery", "bboxoverlaps", "bezieralign",
    "biasact", "borderalign", "boxiou", "carafe", "chamferdistance", "contourexpand", "convex", "correlation",
    "deform", "diffiourotated", "filteredlrelu", "focalloss", "furthestpoint", "fusedbiasleakyrelu",
    "gatherpoints", "gridsampler", "grouppoints", "indice", "iou3d", "knn", "masked", "minareapolygons",
    "msdeformattn", "nms", "pixelgroup", "pointsinboxes", "pointsinpolygons", "pointtovoxel", "prroipool",
    "psamask", "riroialign", "roialign", "roiawarepool3d", "roipointpool3d", "roipool", "rotatedfeaturealign",
    "scatterpoints", "sparse", "spconv", "stackballquery", "stackgrouppoints", "syncbn", "threeinterpolate",
    "threenn", "tinshift", "upfirdn2d", "voxeliz",
)


def _names_an_openmmlab_op(name: str) -> bool:
    words = name.lower().replace("_", "")
    return any(word in words for word in _OPENMMLAB_OP_WORDS)


# --- MMCV without its compiled ops -----------------------------------------------------------

# (not "...; 'mmcv' is not a package": a module of the reporter's named mmcv.py hides the library)
_NO_EXT = re.compile(r"No module named [\x27\"`]?mmcv\.(?:_ext|ops)\b(?![\x27\"`]?; [\x27\"`]?mmcv[\x27\"`]? is not a package)")
# MMEngine and MMDetection 3.x come only with MMCV 2.x; their paths in a traceback say so too.
_MMENGINE_PATH = re.compile(r"[/\\]mmengine[/\\]")


def _ops_missing(text: IssueText, source: EnvironmentSource) -> list[Finding]:
    """No module named 'mmcv._ext': which MMCV, since the package with ops changed its name in 2.0."""
    for number in text.lines_holding(("no module named",)):
        if _NO_EXT.search(text.lines[number]):
            env = resolve_environment(source)
            major = _installed_mmcv_major(text, env)
            if major is None:
                return [Finding("ops-missing", "unknown", number)]
            version = str(env.mmcv) if env.mmcv is not None else f"{major}.x"
            # Which package carries the ops says nothing to a reporter who has that one already.
            has_it = env.mmcv_package == ("mmcv-full" if major == 1 else "mmcv")
            message = "" if has_it else f"ops-missing-mmcv{major}"
            return [Finding("ops-missing", f"mmcv-{major}", number, message, (("version", version),))]
    return []


def _installed_mmcv_major(text: IssueText, env: Environment) -> int | None:
    """The major of the MMCV the reporter has, whose ops are missing: its version first, then what
    its package or the packages around it imply. (What they need is reporter.mmcv_majors'.)"""
    if env.mmcv is not None:
        return 2 if env.mmcv.release[0] >= 2 else 1
    if env.mmcv_package == "mmcv-lite" or env.mmengine is not None or (env.mmdet and env.mmdet.release[0] >= 3):
        return 2
    if env.mmcv_package == "mmcv-full" or (env.mmdet and env.mmdet.release[0] == 2):
        return 1
    return 2 if "mmengine" in text.lowered and _MMENGINE_PATH.search(text.text) else None


# --- libraries that cannot be loaded -----------------------------------------------------------

_CANNOT_OPEN = re.compile(r"([\w./\\+-]{1,300}\.so[\w.]{0,20}): ?cannot open shared object file")
# torchvision's warning that its own image extension did not load ("UserWarning: Failed to load image
# Python extension: libtorch_cuda_cu.so: cannot open ..."): a side note of another library
_TORCHVISION_IMAGE_WARNING = "failed to load image python extension"


def _missing_libraries(text: IssueText) -> list[Finding]:
    found = []
    for number in text.lines_holding(("cannot open shared object",)):
        if _TORCHVISION_IMAGE_WARNING in text.lines[number].lower():
            continue
        loader = _loading_package(text, number)
        for hit in _CANNOT_OPEN.finditer(text.lines[number]):
            library = read_library(hit[1])
            version = f" {library.version}" if library.version else ""  # "the CUDA toolkit 10.1"
            fields = (("library", library.file), ("version", version))
            if loader and library.owner in ("cuda-runtime", "pytorch"):
                # the CUDA runtime or PyTorch library another package's extension needs (spconv's
                # core_cc asking for libcudart.so.11.0): that package's build, not MMCV's
                found.append(Finding("missing-library", "extension", number, "", (*fields, ("package", loader))))
                continue
            message = {"cuda-runtime": "library-cuda", "pytorch": "library-pytorch"}.get(library.owner, "")
            found.append(Finding("missing-library", library.owner, number, message, fields))
    # The title's line says less than the body's for the same library, whose traceback shows what
    # loads it (the title "libcudart.so.11.0: cannot open shared object file (spconv)").
    in_body = {f.field("library") for f in found if f.line > 0}
    return [f for f in found if f.line > 0 or f.field("library") not in in_body]


# A traceback's frame in an installed package: "File ".../site-packages/spconv/core_cc/__init__.py", line 1".
_PACKAGE_FRAME = re.compile(r'File "[^"]{0,300}?[/\\](?:site|dist)-packages[/\\]([A-Za-z_][\w.-]{0,60}?)(?:-[\d.]+[\w.-]*\.egg)?[/\\]')


def _loading_package(text: IssueText, number: int) -> str:
    """The installed package, other than OpenMMLab's and PyTorch, whose frame stands right above
    the error on line ``number`` (above the frame's source line, when it is shown), or ""."""
    for above in (number - 1, number - 2):
        if above < 1 or not text.lines[above].startswith("File "):
            continue
        frame = _PACKAGE_FRAME.match(text.lines[above])
        if frame is None or frame[1].lower().startswith("mm") or frame[1].lower() == "torch":
            return ""  # not an installed package's (Python's importlib), or OpenMMLab's or PyTorch's
        return frame[1]
    return ""
