"""Two independent blind readers of one sample: agreement with the key, each reader's defect
rate, the items both failed and either failed, Cohen's kappa, per unit.

    python pairs.py s6a s6a2 s6a      # reader 1's reading, reader 2's, the keys' name
    python pairs.py s10a s10a2 s10a ../2026-12-06-full   # readings kept in another folder
"""

import collections
import json
import sys
from pathlib import Path

first, second, keys_name = sys.argv[1:4]
HERE = Path(sys.argv[4]) if len(sys.argv) > 4 else Path(__file__).parent
keys = json.loads((HERE / f"{keys_name}.keys.json").read_text(encoding="utf-8"))
a = {e["item"]: e for e in json.loads((HERE / f"{first}.reading.json").read_text("utf-8"))}
b = {e["item"]: e for e in json.loads((HERE / f"{second}.reading.json").read_text("utf-8"))}
assert set(a) == set(b) == set(keys), "both readings must cover the whole sample"
n = len(keys)
fa = {i for i in a if a[i]["verdict"] != "OK"}
fb = {i for i in b if b[i]["verdict"] != "OK"}
agree_key = [sum(r[i]["answer"] == keys[i]["key"] for i in keys) for r in (a, b)]
observed = (n - len(fa ^ fb)) / n
pa, pb = len(fa) / n, len(fb) / n
chance = pa * pb + (1 - pa) * (1 - pb)
kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
print(f"{n} items; answers agreeing with the key: {agree_key[0]}, {agree_key[1]}")
print(
    f"DEFECTIVE: reader 1 {len(fa)}, reader 2 {len(fb)}; both {len(fa & fb)} "
    f"({100 * len(fa & fb) / n:.0f} %), either {len(fa | fb)} ({100 * len(fa | fb) / n:.0f} %); "
    f"agreement {100 * observed:.0f} %, kappa {kappa:.2f}"
)
units: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
for i in keys:
    u = units[i[:8]]
    u[0] += 1
    u[1] += i in fa & fb
    u[2] += i in fa | fb
for unit, (count, both, either) in sorted(units.items()):
    print(f"  {unit}: {count} read, both readers DEFECTIVE {both}, either {either}")
for i in sorted(keys):
    if a[i]["answer"] != keys[i]["key"] or b[i]["answer"] != keys[i]["key"]:
        print(
            f"  answer differs from key: {i} {a[i]['answer']} {b[i]['answer']} key {keys[i]['key']}"
        )
