"""Every live item of the given units not already in EXCLUDE readings, blind, shuffled options."""

import json
import random
import sys
from pathlib import Path

import yaml

tree, out, exclude, units = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rng = random.Random(7)
skip = set()
for f in exclude.split(","):
    if f:
        skip |= {e["item"] for e in json.loads(Path(f).read_text(encoding="utf-8"))}
blind, keys = [], {}
for unit in units:
    data = yaml.safe_load(
        (Path(tree) / "question_banks/600-8065-6/units" / f"{unit}.yaml").read_text()
    )
    for item in data["items"]:
        if item["status"] != "live" or item["id"] in skip:
            continue
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
        keys[item["id"]] = {"key": item["key"], "drawn": "full"}
Path(out + ".blind.json").write_text(json.dumps(blind, indent=1))
Path(out + ".keys.json").write_text(json.dumps(keys, indent=1))
print(len(blind))
