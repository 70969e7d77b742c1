"""qmllint finds nothing in the product's QML (``python -m ui.qml_lint`` is the same check by hand),
every file included (CameraPage.qml too, since its live-preview rewrite landed)."""

from __future__ import annotations

from pathlib import Path

from ui.qml_lint import QML_DIR, all_qml_files, lint


def test_qmllint_has_no_warnings() -> None:
    files = all_qml_files()
    assert len(files) >= 18 and QML_DIR / "kiosk" / "pages" / "CameraPage.qml" in files
    findings = lint(files)
    assert not findings, f"{len(findings)} qmllint warnings:\n" + "\n".join(findings)


def test_the_check_sees_a_warning(tmp_path: Path) -> None:
    """Not vacuous: an unknown member of a typed bridge is reported."""
    bad = tmp_path / "Bad.qml"
    bad.write_text("import QtQuick\nimport HallKiosk\nItem {\n    id: root\n"
                   "    required property KioskBridge bridge\n    property string n: root.bridge.noSuchMember\n}\n",
                   encoding="utf-8")
    assert any("noSuchMember" in f for f in lint([bad]))
