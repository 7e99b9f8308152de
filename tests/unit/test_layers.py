"""The arrow import-linter cannot see: grimp analyses packages only, so `bootstrap.py`'s own imports are read here."""

from __future__ import annotations

import ast
from pathlib import Path

import bootstrap


def imported_modules(source: Path) -> set[str]:
    """Every module ``source`` imports by absolute name, at the top or inside functions."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_the_composition_root_imports_no_entry_point() -> None:
    upwards = {name for name in imported_modules(Path(bootstrap.__file__)) if name.split(".")[0] == "entrypoints"}
    assert not upwards, f"bootstrap.py imports the entry points above it: {sorted(upwards)}"


def test_the_composition_root_is_read_for_its_imports() -> None:
    # Guards the test above from passing on a file it failed to read.
    assert any(name.split(".")[0] == "adapters" for name in imported_modules(Path(bootstrap.__file__)))
