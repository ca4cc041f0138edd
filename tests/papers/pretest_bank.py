"""A unit file copy with pretest items: new items (copies of live ones under new ids and stems,
so no live item's status or coverage changes) and a test spec asking for them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

PREFIX = "F5030358-P"


def pretest_id(n: int) -> str:
    return f"{PREFIX}{n:02d}"


def with_pretest(
    count: int, per_paper: int, enemies: dict[int, list[str]] | None = None
) -> Callable[[Path], None]:
    """An `edit` for tests.sittings.conftest.make_room: `count` pretest items F5030358-P01...
    and `pretest_items: per_paper`; `enemies` gives pretest item n its enemies."""

    def edit(folder: Path) -> None:
        path = folder / "F-503-0358.yaml"
        bank: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        bank["test_spec"]["pretest_items"] = per_paper
        live = [i for i in bank["items"] if i["status"] == "live"]
        for n in range(1, count + 1):
            item = copy.deepcopy(live[(n - 1) % len(live)])
            item["id"] = pretest_id(n)
            item["status"] = "pretest"
            item["stem"] = f"Case {n}. {item['stem']}"
            item["enemies"] = list((enemies or {}).get(n, []))
            bank["items"].append(item)
        path.write_text(yaml.safe_dump(bank, sort_keys=False), encoding="utf-8")

    return edit
