"""Imported items put into a bank file as text: everything else byte for byte."""

from __future__ import annotations

from typing import Any

import yaml

from app.interchange import bankfile, splice

BANK = """\
# reviewers' notes stay
unit: D/601/7644
test_spec: {items: 1, duration_minutes: 1, pass_mark_percent: 50, reasoning: x}
items:
    # first item, hand-indented
    -   id: A1
        stem: old A1
    # B2 is the one reviewed on Monday
    - id: B2   # kept as written
      stem: B2
    - id: C3
      stem: old C3
      tags: [x]   # inside C3, which is replaced
# trailing note
"""


def _item(ident: str, stem: str) -> dict[str, Any]:
    return {"id": ident, "stem": stem}


def test_replaced_in_place_and_new_ones_after_the_last() -> None:
    text = splice.put(BANK, [_item("C3", "new C3"), _item("D4", "new D4")], bankfile.dump)
    assert text is None  # A1 is not written `- key`: the caller writes the file whole
    bank = BANK.replace("    -   id: A1\n        stem: old A1\n", "    - id: A1\n      stem: A1\n")
    text = splice.put(bank, [_item("C3", "new C3"), _item("D4", "new D4")], bankfile.dump)
    assert text is not None
    assert text == bank.replace(
        "    - id: C3\n      stem: old C3\n      tags: [x]   # inside C3, which is replaced\n",
        "    - id: C3\n      stem: new C3\n    - id: D4\n      stem: new D4\n",
    )
    expected = yaml.safe_load(bank)
    expected["items"] = [*expected["items"][:2], _item("C3", "new C3"), _item("D4", "new D4")]
    assert splice.reads_as(text, expected)


def test_a_flow_list_of_items_is_left_to_the_caller() -> None:
    assert splice.put("unit: X\nitems: []\n", [_item("A1", "x")], bankfile.dump) is None
