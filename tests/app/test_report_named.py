"""Issue 20.9: the app names the report it follows (Home, The report checked, README, docs/report.md) and lists
every equation, pseudocode line, section, table and figure the code cites by number."""
from __future__ import annotations

import pathlib
import re

from apptest_helpers import open_app
from ui import report

ROOT = pathlib.Path(__file__).resolve().parents[2]
# "eq. 1", "eqs. 8–9, 12–15", "eqs. 3, 5–6", "pseudocode lines 19–21", "§2.2.2", "Table 1", "Figure 1"
NUMS = r"(\d+(?:–\d+)?(?:, \d+(?:–\d+)?)*)"
PATTERNS = {"eq": rf"\beqs?\. {NUMS}", "line": rf"pseudocode lines? {NUMS}", "§": r"§(\d+(?:\.\d+)*)",
            "Table": r"Table (\d+)", "Figure": r"Figure (\d+)"}


def numbers(kind: str, text: str) -> set[str]:
    """Every single number a citation names, ranges expanded ('8–9, 12–15' → 8, 9, 12, 13, 14, 15)."""
    out = set()
    for m in re.finditer(PATTERNS[kind], text):
        for part in m.group(1).split(", "):
            if kind in ("eq", "line") and "–" in part:
                a, b = map(int, part.split("–"))
                out |= {str(i) for i in range(a, b + 1)}
            else:
                out.add(part)
    return out


def test_every_citation_in_the_code_is_listed():
    code = "\n".join(p.read_text() for d in ("pages", "ui", "rnn") for p in (ROOT / d).rglob("*.py")
                     if p.name != "report.py")
    code = "\n".join(line for line in code.splitlines() if "Pascanu" not in line)  # their §3.2 is not the report's
    listed = " ".join(ref for ref, _, _ in report.CITED)
    for kind in PATTERNS:
        cited, have = numbers(kind, code), numbers(kind, listed)
        assert cited <= have, (kind, sorted(cited - have, key=str))
    assert numbers("eq", code) >= {"1", "2", "3", "18", "19", "23"}  # the scan itself finds citations


def test_home_and_report_check_name_the_report():
    at = open_app()
    assert not at.exception
    assert any(report.TITLE in c.value and report.AUTHOR in c.value and report.DATE in c.value for c in at.caption)
    at.switch_page("pages/report_check.py").run()
    assert not at.exception
    assert any(report.TITLE in m.value for m in at.markdown)
    listing = [m.value for m in at.markdown if "eqs. 19–23" in m.value]
    assert listing and all(ref in listing[0] for ref, _, _ in report.CITED)


def test_readme_and_docs_name_the_report_and_list_the_same_equations():
    readme = (ROOT / "README.md").read_text()
    assert report.TITLE in readme and report.AUTHOR in readme and report.DATE in readme
    docs = (ROOT / "docs" / "report.md").read_text()
    assert report.TITLE in docs and report.markdown_list() in docs
