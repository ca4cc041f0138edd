import collections
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
name = sys.argv[1]
keys = json.loads(Path(HERE / f"{name}.keys.json").read_text(encoding="utf-8"))
reading = json.loads(Path(HERE / f"{name}.reading.json").read_text(encoding="utf-8"))
by = collections.defaultdict(lambda: [0, 0])
agree = 0
for e in reading:
    k = keys[e["item"]]
    agree += e["answer"] == k["key"]
    unit = e["item"][:8]
    for group in (k["drawn"], unit + ":" + k["drawn"]):
        by[group][0] += 1
        by[group][1] += e["verdict"] != "OK"
    if e["answer"] != k["key"]:
        print("DISAGREE", e["item"], e["answer"], "key", k["key"], e["confidence"])
print(f"{name}: {len(reading)} read, answers agreeing with key {agree}/{len(reading)}")
for g, (n, d) in sorted(by.items()):
    print(f"  {g:22} {d}/{n} defective ({100 * d / n:.0f} %)")
