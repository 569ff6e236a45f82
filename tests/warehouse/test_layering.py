"""The house rule: warehouse/ never imports flows/ (flows orchestrate; the warehouse is plain SQL + Python)."""
from __future__ import annotations

import ast
from pathlib import Path

WAREHOUSE = Path(__file__).resolve().parents[2] / "warehouse"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_warehouse_never_imports_flows():
    offenders = {str(p.relative_to(WAREHOUSE)): sorted(m for m in _imported_modules(p) if m.split(".")[0] == "flows")
                 for p in WAREHOUSE.rglob("*.py")}
    assert {p: m for p, m in offenders.items() if m} == {}
    assert len(offenders) > 10   # the walk really read the package
