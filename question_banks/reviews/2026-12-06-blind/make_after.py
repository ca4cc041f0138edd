"""A fresh random 12 % of each unit's live items, blind (for the after-fix reading)."""

import json
import math
import random
import sys
from pathlib import Path

import yaml

tree, seed, out, units = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
rng = random.Random(seed)
blind, keys = [], {}
for unit in units:
    data = yaml.safe_load(
        (Path(tree) / "question_banks/600-8065-6/units" / f"{unit}.yaml").read_text()
    )
    live = [i for i in data["items"] if i["status"] == "live"]
    for item in rng.sample(live, math.ceil(len(live) * 0.12)):
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
        keys[item["id"]] = {"key": item["key"], "drawn": "after"}
rng.shuffle(blind)
Path(out + ".keys.json").write_text(json.dumps(keys, indent=1))
Path("/work/read/" + Path(out).name + ".blind.json").write_text(json.dumps(blind, indent=1))
print(len(blind))
