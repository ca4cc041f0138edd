"""Draw a blind sample: a fresh random 12 % of each unit's live items that no earlier reading
saw, plus every item an earlier reading judged DEFECTIVE (to read again after its rewrite).

Usage: python make_sample.py TREE SEED EARLIER_DIR OUT_PREFIX UNIT...
Writes OUT.blind.json (stems and shuffled options) and OUT.keys.json (for scoring only)."""

import json
import math
import random
import sys
from pathlib import Path

import yaml


def main() -> None:
    tree, seed, earlier, out, units = (
        sys.argv[1],
        int(sys.argv[2]),
        sys.argv[3],
        sys.argv[4],
        sys.argv[5:],
    )
    rng = random.Random(seed)
    seen, flagged = set(), set()
    for reading in Path(earlier).glob("*.reading.json"):
        for entry in json.loads(reading.read_text(encoding="utf-8")):
            seen.add(entry["item"])
            if entry["verdict"] != "OK":
                flagged.add(entry["item"])
    blind, keys = [], {}
    for unit in units:
        path = Path(tree) / "question_banks/600-8065-6/units" / f"{unit}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        live = [i for i in data["items"] if i["status"] == "live"]
        fresh = [i for i in live if i["id"] not in seen]
        chosen = rng.sample(fresh, max(1, math.ceil(len(live) * 0.12)))
        again = [i for i in live if i["id"] in flagged]
        for item, why in [(i, "fresh") for i in chosen] + [(i, "reread") for i in again]:
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
            keys[item["id"]] = {"key": item["key"], "drawn": why}
    rng.shuffle(blind)
    Path(out + ".blind.json").write_text(json.dumps(blind, indent=1), encoding="utf-8")
    Path(out + ".keys.json").write_text(json.dumps(keys, indent=1), encoding="utf-8")
    print(len(blind), sum(1 for k in keys.values() if k["drawn"] == "reread"), "re-read")


if __name__ == "__main__":
    main()
