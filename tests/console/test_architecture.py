"""The console's routes stay thin: no SQL and no ORM sessions of their own; every query goes
through a domain service and its repository."""

from __future__ import annotations

import ast
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "app" / "console"


def test_console_modules_import_no_sqlalchemy_and_no_repository() -> None:
    for path in sorted(CONSOLE.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert not name.startswith("sqlalchemy"), f"{path.name} imports {name}"
                assert ".repository" not in name and not name.endswith("repository"), (
                    f"{path.name} reaches past a service: {name}"
                )
                assert not name.endswith(".models"), f"{path.name} imports ORM models: {name}"
