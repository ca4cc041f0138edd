"""Staff roles and what each may do: one table, checked by every console page and action."""

from __future__ import annotations

from typing import Literal

Role = Literal["administrator", "exam_officer", "results_officer"]
ROLES: tuple[Role, ...] = ("administrator", "exam_officer", "results_officer")
ROLE_LABELS: dict[str, str] = {
    "administrator": "Administrator",
    "exam_officer": "Exam officer",
    "results_officer": "Results officer",
}

Permission = Literal[
    "centres:view",
    "centres:edit",
    "candidates:view",
    "candidates:edit",
    "sittings:view",
    "sittings:schedule",
    "results:view",
    "stats:view",
    "items:exclude",
    "banks:view",
    "tokens:manage",
    "webhooks:manage",
]

_EVERYONE: frozenset[Permission] = frozenset({"centres:view", "candidates:view", "sittings:view"})
GRANTS: dict[str, frozenset[Permission]] = {
    "administrator": frozenset(
        {
            *_EVERYONE,
            "centres:edit",
            "candidates:edit",
            "sittings:schedule",
            "results:view",
            "stats:view",
            "items:exclude",
            "banks:view",
            "tokens:manage",
            "webhooks:manage",
        }
    ),
    # Schedules sittings: registers candidates and their access arrangements, reads the banks.
    "exam_officer": frozenset({*_EVERYONE, "candidates:edit", "sittings:schedule", "banks:view"}),
    # Reads and exports results, achievement and item statistics; changes nothing.
    "results_officer": frozenset({*_EVERYONE, "results:view", "stats:view"}),
}


def allows(role: str, permission: Permission) -> bool:
    return permission in GRANTS.get(role, frozenset())
