"""Draw a blind sample: about 12 % of each unit's live items, stem and shuffled options only.

Usage: python make_sample.py WORKTREE OUT_PREFIX UNIT... (writes OUT.blind.json and, for the
one who scores the reading, OUT.keys.json)."""

import json
import math
import random
import sys
from pathlib import Path

import yaml


def main() -> None:
    tree, out, units = sys.argv[1], sys.argv[2], sys.argv[3:]
    rng = random.Random(2026)
    blind, keys = [], {}
    for unit in units:
        path = Path(tree) / "question_banks/600-8065-6/units" / f"{unit}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        live = [i for i in data["items"] if i["status"] == "live"]
        for item in rng.sample(live, max(1, math.ceil(len(live) * 0.12))):
            options = [{"id": o["id"], "text": o["text"]} for o in item["options"]]
            rng.shuffle(options)
            blind.append(
                {
                    "unit": data["unit"],
                    "item": item["id"],
                    "criterion": item["criterion"],
                    "stem": item["stem"],
                    "options": options,
                }
            )
            keys[item["id"]] = item["key"]
    Path(out + ".blind.json").write_text(json.dumps(blind, indent=1), encoding="utf-8")
    Path(out + ".keys.json").write_text(json.dumps(keys, indent=1), encoding="utf-8")
    print(len(blind))


if __name__ == "__main__":
    main()
