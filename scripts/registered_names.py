"""Build rules/data/registered_names.csv from released MMCV, MMDetection and MMEngine packages.

Usage: python scripts/registered_names.py DIR [DIR ...] > rules/data/registered_names.csv

Each DIR holds one downloaded distribution (``pip download --no-deps -d mmdet-3.3.0 mmdet==3.3.0``:
a wheel or an sdist); the folder's name says the library and release (``mmdet-3.3.0``,
``mmcv-2.2.0``, ``mmengine-0.10.0``). Every ``.py`` file of the package is parsed (never imported)
and every registration is read:

- ``@REGISTRY.register_module()`` / ``@REGISTRY.register_module`` on a class or function: its name;
- ``@REGISTRY.register_module(name='X')`` / ``('X')`` / ``name=['X', 'Y']``: those names;
- ``REGISTRY.register_module('X', module=Y)`` / ``register_module(module=Y)`` calls: X, else Y's name.

A row is a (library, registry variable, name) with the first and last release read that register it.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import sys
import tarfile
import zipfile
from pathlib import Path

_CLASS_NAME = re.compile(r"[A-Za-z_][\w.]{0,80}")  # as bot/registry_names.py reads them
_FOLDER = re.compile(r"^(mmcv|mmdet|mmengine|mmpose|mmseg)-(\d+\.\d+\.\d+)$")


def _sources(folder: Path, package: str):
    for archive in folder.iterdir():
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                for name in wheel.namelist():
                    if name.startswith(f"{package}/") and name.endswith(".py"):
                        yield name, wheel.read(name).decode("utf-8", "replace")
        elif archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as sdist:
                for member in sdist.getmembers():
                    parts = member.name.split("/")
                    if len(parts) > 2 and parts[1] == package and member.name.endswith(".py") and member.isfile():
                        yield member.name, sdist.extractfile(member).read().decode("utf-8", "replace")


def _registry_of(call: ast.AST) -> str | None:
    """'detectors' for DETECTORS.register_module / DETECTORS.register_module(...)."""
    target = call.func if isinstance(call, ast.Call) else call
    if isinstance(target, ast.Attribute) and target.attr == "register_module":
        owner = target.value
        if isinstance(owner, ast.Name):
            return owner.id.lower()
        if isinstance(owner, ast.Attribute):
            return owner.attr.lower()
    return None


def _names_given(call: ast.AST) -> list[str] | None:
    if not isinstance(call, ast.Call):
        return None
    given = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
    if isinstance(given, ast.Constant) and isinstance(given.value, str):
        return [given.value]
    if isinstance(given, (ast.List, ast.Tuple)):
        return [item.value for item in given.elts if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return None


def registrations(source: str) -> set[tuple[str, str]]:
    """(registry, name) pairs that ``source`` registers."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            for decorator in node.decorator_list:
                registry = _registry_of(decorator)
                if registry:
                    for name in _names_given(decorator) or [node.name]:
                        found.add((registry, name))
        elif isinstance(node, ast.Call) and _registry_of(node):
            module = next((k.value for k in node.keywords if k.arg == "module"), None)
            if module is None:
                continue
            names = _names_given(node) if node.args or any(k.arg == "name" for k in node.keywords) else None
            if not names:
                names = [module.attr if isinstance(module, ast.Attribute) else getattr(module, "id", "")]
            found.update((_registry_of(node), name) for name in names if name)
    return found


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def main(folders: list[str]) -> None:
    seen: dict[tuple[str, str, str], list[str]] = {}
    for folder in map(Path, folders):
        found = _FOLDER.match(folder.name)
        if not found:
            sys.exit(f"{folder}: the folder's name must be LIBRARY-X.Y.Z")
        library, release = found.groups()
        names = set()
        for _, source in _sources(folder, library):
            names |= registrations(source)
        if not names:
            sys.exit(f"{folder}: no registrations read (no package inside?)")
        for registry, name in names:
            seen.setdefault((library, registry, name), []).append(release)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["library", "registry", "name", "first", "last"])
    for (library, registry, name), releases in sorted(seen.items()):
        if not _CLASS_NAME.fullmatch(name):
            continue  # an alias a config never names as a type ("pose-estimation", MMPose's inferencers)
        ordered = sorted(releases, key=_version_key)
        writer.writerow([library, registry, name, ordered[0], ordered[-1]])
    sys.stdout.write(out.getvalue())


if __name__ == "__main__":
    main(sys.argv[1:])
