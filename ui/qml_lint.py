"""qmllint over the product's QML with the Python bridges' types visible to it.

``python -m ui.qml_lint [FILE.qml ...]`` (default: every ``.qml`` under ``ui/qml``) prints each
finding and exits 1 when there is any warning. ``tests/test_qml_lint.py`` runs the same check.

The bridges (``ui/kiosk_bridge.py``, ``ui/display_app.py``) are ``@QmlElement`` types of the
``HallKiosk`` module. qmllint cannot read Python, so their description is generated the way
``pyside6-project qmllint`` does it, with Qt's own tools: ``pyside6-metaobjectdump`` (moc for
Python) then ``pyside6-qmltyperegistrar`` (a ``.qmltypes`` file), plus a ``qmldir``, into a
temporary directory given to qmllint with ``-I``. Nothing generated is kept in the tree, so it can
never go stale. One correction is made on the way: metaobjectdump drops ``constant=True``, so
qmllint would call every read of a constant property stale; the flag is taken from the class's
live meta-object instead.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

UI_DIR = Path(__file__).resolve().parent
QML_DIR = UI_DIR / "qml"
MODULE = "HallKiosk"
# The Python files whose @QmlElement classes make up the HallKiosk module.
TYPE_SOURCES = (UI_DIR / "kiosk_bridge.py", UI_DIR / "display_app.py")
BIN = Path(sys.executable).parent
FINDINGS = ("warning", "critical", "error")


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name  # a venv has them beside python; else PATH


def _metatypes_dir() -> Path:
    import PySide6

    root = Path(PySide6.__file__).resolve().parent
    return root / "Qt" / "metatypes" if (root / "Qt").is_dir() else root / "metatypes"


def _mark_constants(dump: list[dict[str, Any]]) -> None:
    """Set ``constant`` on properties that are constant on the real class (see module doc)."""
    from PySide6.QtCore import QObject

    for entry in dump:
        module = importlib.import_module(f"ui.{Path(entry['inputFile']).stem}")  # TYPE_SOURCES are in ui/
        for cls_info in entry["classes"]:
            cls = getattr(module, cls_info["className"], None)
            if not (isinstance(cls, type) and issubclass(cls, QObject)):
                continue
            meta = cls.staticMetaObject  # type: ignore[attr-defined]  # stubs: only on concrete classes
            for prop in cls_info.get("properties", []):
                index = meta.indexOfProperty(prop["name"])
                if index >= 0 and meta.property(index).isConstant():
                    prop["constant"] = True


def generate_types(out: Path) -> Path:
    """Write ``out/HallKiosk/{qmldir,hallkiosk.qmltypes}``; returns the import dir (``out``)."""
    module_dir = out / MODULE
    module_dir.mkdir(parents=True, exist_ok=True)
    dumped = subprocess.run([_tool("pyside6-metaobjectdump"), *map(str, TYPE_SOURCES)],
                            check=True, capture_output=True, text=True).stdout
    dump = json.loads(dumped)
    _mark_constants(dump)
    metatypes = module_dir / "hallkiosk_metatypes.json"
    metatypes.write_text(json.dumps(dump), encoding="utf-8")
    meta_dir = _metatypes_dir()
    foreign = [str(next(meta_dir.glob(f"qt6{mod}_*metatypes.json"))) for mod in ("core", "qml")]
    subprocess.run([_tool("pyside6-qmltyperegistrar"), "--generate-qmltypes", str(module_dir / "hallkiosk.qmltypes"),
                    "-o", str(module_dir / "registrations.cpp"), "--import-name", MODULE,
                    "--major-version", "1", "--minor-version", "0", "--foreign-types=" + ",".join(foreign),
                    str(metatypes)], check=True, capture_output=True, text=True)
    (module_dir / "qmldir").write_text(f"module {MODULE}\ntypeinfo hallkiosk.qmltypes\n", encoding="utf-8")
    return out


def all_qml_files() -> list[Path]:
    return sorted(QML_DIR.rglob("*.qml"))


def lint(files: list[Path]) -> list[str]:
    """Every qmllint warning for these files, as ``path:line:col: message [id]`` lines."""
    with tempfile.TemporaryDirectory(prefix="qmltypes-") as tmp:
        imports = generate_types(Path(tmp))
        done = subprocess.run([_tool("pyside6-qmllint"), "-I", str(imports), "--json", "-", *map(str, files)],
                              capture_output=True, text=True, cwd=UI_DIR.parent)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return [f"qmllint did not run (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"]
    findings = []
    for entry in report["files"]:
        for w in entry.get("warnings", []):
            if w.get("type") in FINDINGS:
                findings.append(f"{entry['filename']}:{w.get('line', 0)}:{w.get('column', 0)}: "
                                f"{w['message']} [{w.get('id', '')}]")
    return findings


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv[1:]] or all_qml_files()
    findings = lint(files)
    print("\n".join(findings) or f"qmllint: {len(files)} files, no warnings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
