"""Architecture rules enforced by a test, not by memory.

Queries live in repositories: outside a `repository.py`, a module may not build SQL (import
select, insert, update, delete, text or func from SQLAlchemy). A repository function that
reaches centre- or candidate-scoped rows takes the centre, the sitting or the attempt it is
for. The few modules below build SQL of their own for a reason given beside each; anything
new that queries belongs in its domain's repository instead."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
BUILDERS = {"select", "insert", "update", "delete", "text", "func", "bindparam"}

# module -> why it may build SQL itself (none of these reads a centre's or candidate's rows
# on a caller's behalf)
ALLOWED = {
    "counters.py": "the named counters' row lock",
    "auth/throttle.py": "sign-in counts, keyed by address and device, not by centre",
    "auth/tokens.py": "the awarding body's own API tokens",
    "banks/load.py": "the item banks: the awarding body's, shared by every centre",
    "sittings/scheduling.py": "assembly's pool of bank items (no centre's data)",
    "journal/service.py": "the journal's chains, appended and verified as a whole",
    "journal/seals.py": "the journal's seals, over every chain",
    "journal/audit.py": "the auditor's recomputation of every result, by design unscoped",
    "candidates/models.py": "an index on lower(candidate_number): the schema's DDL, not a query",
    "migrate.py": "Alembic's version table (the schema's revision, for /readyz): no one's rows",
}


def _builders_imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found |= {alias.name for alias in node.names} & BUILDERS
    return found


def test_no_query_is_built_outside_a_repository() -> None:
    offenders = {}
    for path in sorted(APP.rglob("*.py")):
        name = str(path.relative_to(APP))
        if path.name == "repository.py" or name in ALLOWED:
            continue
        imported = _builders_imported(path)
        if imported:
            offenders[name] = sorted(imported)
    assert offenders == {}, (
        "queries belong in the domain's repository.py (or add the module to ALLOWED with the "
        f"reason it is safe): {offenders}"
    )


def test_every_allowance_is_still_needed() -> None:
    stale = [name for name in ALLOWED if not _builders_imported(APP / name)]
    assert stale == [], f"no longer builds SQL, so drop it from ALLOWED: {stale}"


def test_centre_scoped_repository_queries_take_the_centre() -> None:
    """In the invigilator's repository, every function takes the centre it reads for."""
    tree = ast.parse((APP / "invigilation" / "repository.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            names = [a.arg for a in node.args.args]
            assert "centre_id" in names, f"{node.name} must take the centre_id it is for"


def test_only_the_lifecycle_moves_an_attempts_status() -> None:
    """The attempt's status is set in one module (sittings/lifecycle.py), plus its creation."""
    setters = []
    for path in sorted(APP.rglob("*.py")):
        name = str(path.relative_to(APP))
        if name in ("sittings/lifecycle.py", "sittings/models.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if (
                        isinstance(leaf, ast.Attribute)
                        and leaf.attr == "status"
                        and isinstance(leaf.value, ast.Name)
                        and leaf.value.id in ("attempt", "locked", "a")
                    ):
                        setters.append(f"{name}:{getattr(node, 'lineno', '?')}")
    assert setters == []
