"""No user-visible Chinese outside the gettext catalogues (common/locale).

Python is read with ``ast``: every string constant counts except docstrings (comments are not
in the tree at all); QML and JS are read with a regex over string literals, after removing
comments. A file is either clean, allowlisted (what it holds is data, not UI text: each with a
reason), or PENDING: it still holds literals that a later pass moves into the catalogues, file
by file. PENDING files are counted and reported, not failed; a file that became clean must leave
PENDING (so the list only shrinks), and any other file with a literal fails.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

# Data, not UI text: a whole file ("path") or one literal in it ("path::literal"), each with why.
ALLOWLIST: dict[str, str] = {
    "kiosk/catalogue.py": "the bundled sample service catalogue (事项 data from the platform, not UI text)",
    "offline_cache/platform_store.py": "the reference platform's sample data and status texts (a stand-in for "
                                       "the real platform, whose data arrives in Chinese)",
    "offline_cache/platform_server.py": "the reference platform (a test and demo stand-in, not the product's UI)",
    "queueing/hallconfig.py": "the sample hall.toml content and its domain words parsed from configuration",
    "devices/idcard/card.py": "the card's own code tables (民族, gender, card type names as the card "
                              "defines them) and the 长期 date word read from cards",
    "offline_cache/elicence_library.py": "the reference platform's demo e-licences (documents drawn as their "
                                         "issuers would, data of the platform, not kiosk UI text)",
    "devices/idcard/simulator.py": "fictional identities on the simulated cards (test fixture data)",
    "ui/screenshots.py": "the documentation screenshots' scripted citizen input and sample notices (fixtures)",
    "ui/demo.py": "the demo's sample QR payloads offered to the simulated scanner (fixture data)",
    "devices/printer/templates.py::生僻字: 䶮 𠮷 龘 齉 㐀 㵘": "font-probe line of the printer test page",
    "devices/printer/templates.py::中文 窗口": "glyph probe of the printer test page (shows the printer's font)",
    "devices/printer/templates.py::标点：，。、；：？！“”‘’（）【】《》—…￥": "punctuation probe of the printer test "
                                                                       "page (shows the printer's font)",
    "kiosk/config.py::示范区政务服务中心": "the sample hall's name, a configuration value (data) each hall sets "
                                          "in kiosk.toml",
    "kiosk/app.py::即办件": "compares the catalogue's 办件类型 data value, never shown",
    "queueing/stats_history.py::即办件": "compares the catalogue's 办件类型 data value, never shown",
    "queueing/alerts.py::帮办代办": "finds the hall.toml counter of that name (data), never shown",
    "queueing/public_pages.py::^(\\d+)\\s*号窗口$": "parses the hall's window names (data), never shown",
    "main.py::Hall kiosk & queuing terminal (政务服务中心自助终端与排队叫号).":
        "the product's name in both its languages, in the command-line help (which is English throughout)",
}

# Files that still hold user-visible literals. Empty since the technician panel and diag moved to
# the catalogues (issue 12): every file is now clean or allowlisted, and a new literal fails.
PENDING: set[str] = set()


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def python_literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                and HAN.search(node.value):
            found.append((node.lineno, node.value))
    return sorted(found)


_JS_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`', re.S)


def script_literals(source: str) -> list[tuple[int, str]]:
    found = []
    # strip comments but keep line numbers (strings containing // are rare in our QML/JS)
    clean = _JS_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    for m in _JS_STRING.finditer(clean):
        if HAN.search(m.group(0)):
            found.append((clean.count("\n", 0, m.start()) + 1, m.group(0)[1:-1]))
    return found


def _sources() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.py", "*.qml", "*.js", "*.html"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return sorted(p for p in out if not p.startswith(("tests/", "benchmarks/")) and (ROOT / p).exists())


def literals_of(path: str) -> list[tuple[int, str]]:
    source = (ROOT / path).read_text(encoding="utf-8")
    found = python_literals(source) if path.endswith(".py") else script_literals(source)
    allowed = {k.split("::", 1)[1] for k in ALLOWLIST if k.startswith(path + "::")}
    return [(ln, s) for ln, s in found if s not in allowed]


def scan() -> dict[str, list[tuple[int, str]]]:
    return {p: f for p in _sources() if p not in ALLOWLIST and (f := literals_of(p))}


def test_allowlisted_literals_are_still_there() -> None:
    for key in ALLOWLIST:
        if "::" in key:
            path, literal = key.split("::", 1)
            source = (ROOT / path).read_text(encoding="utf-8")
            found = python_literals(source) if path.endswith(".py") else script_literals(source)
            assert literal in [s for _, s in found], f"stale allowlist entry {key}"


def test_scanner_reads_python_ast_and_skips_docstrings() -> None:
    src = '"""模块说明"""\n# 注释\ndef f():\n    """函数说明"""\n    return "取号" + f"{1}号"\n'
    assert [s for _, s in python_literals(src)] == ["取号", "号"]
    js = 'Text { text: "取号" } // 注释\n/* 说明 */ var a = \'窗口\';\n'
    assert script_literals(js) == [(1, "取号"), (2, "窗口")]


def test_no_user_visible_cjk_literal_outside_the_catalogues() -> None:
    found = scan()
    unexpected = {p: f for p, f in found.items() if p not in PENDING}
    report = "\n".join(f"{p}:{ln}: {s!r}" for p, f in sorted(unexpected.items()) for ln, s in f[:5])
    assert not unexpected, "put these strings in common/locale (see docs/kiosk.md):\n" + report


def test_pending_only_shrinks(capsys: pytest.CaptureFixture[str]) -> None:
    found = scan()
    clean = sorted(p for p in PENDING if p not in found)
    assert not clean, f"these files hold no literal any more: take them off PENDING: {clean}"
    assert all(p in _sources() for p in PENDING)
    with capsys.disabled():
        total = sum(len(found[p]) for p in PENDING)
        print(f"\n[catalogue literals] PENDING: {total} literals in {len(PENDING)} files")


def test_allowlist_entries_exist_and_say_why() -> None:
    for key, why in ALLOWLIST.items():
        assert (ROOT / key.split("::", 1)[0]).exists(), key
        assert len(why) > 20, key
