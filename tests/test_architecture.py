"""The layout of DESIGN.md holds: no ``queue``/``packaging`` shadowing, dependency direction kept."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "kiosk", "devices", "queueing", "offline_cache", "ui")
# Which of our packages each package may import (DESIGN.md, "Dependency direction").
ALLOWED = {
    "ui": {"kiosk", "queueing", "offline_cache", "devices", "common"},
    "kiosk": {"queueing", "offline_cache", "devices", "common"},
    "queueing": {"offline_cache", "common"},
    "devices": {"common"},
    "offline_cache": {"common"},
    "common": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_stdlib_queue_and_pypi_packaging_are_not_shadowed() -> None:
    assert not (ROOT / "queue").exists(), "a top-level queue/ shadows the standard library"
    assert not (ROOT / "packaging" / "__init__.py").exists(), "packaging/ must never be a package"
    code = (
        "import queue, packaging, requests, concurrent.futures, sys;"
        "print(queue.__file__); print(packaging.__file__)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    for line in out.stdout.split():
        assert not line.startswith(str(ROOT) + "/queue"), line
        assert not line.startswith(str(ROOT) + "/packaging"), line


def test_layout_exists() -> None:
    for name in (*PACKAGES, "packaging", "tests", "benchmarks", "docs"):
        assert (ROOT / name).is_dir(), name
    for pkg in PACKAGES:
        spec = importlib.util.find_spec(pkg)
        assert spec is not None and spec.origin and spec.origin.startswith(str(ROOT)), pkg


def test_dependency_direction() -> None:
    violations = []
    for pkg, allowed in ALLOWED.items():
        for path in (ROOT / pkg).rglob("*.py"):
            bad = (_imports(path) & set(PACKAGES)) - allowed - {pkg}
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_only_ui_imports_qt() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for pkg in PACKAGES
        if pkg != "ui"
        for path in (ROOT / pkg).rglob("*.py")
        if {"PySide6", "shiboken6"} & _imports(path)
    ]
    assert not offenders, offenders


def test_every_module_says_what_it_owns() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for pkg in PACKAGES
        for path in (ROOT / pkg).rglob("*.py")
        if path.stat().st_size and ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert not missing, f"modules without a docstring: {missing}"
