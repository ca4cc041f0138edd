import sys, yaml, random, json, math
wt, out = sys.argv[1], sys.argv[2]
units = sys.argv[3:]
rng = random.Random(2026)
blind, keys = [], {}
for u in units:
    data = yaml.safe_load(open(f"{wt}/question_banks/600-8065-6/units/{u}.yaml"))
    live = [i for i in data["items"] if i["status"] == "live"]
    n = max(1, math.ceil(len(live) * 0.12))
    for item in rng.sample(live, n):
        opts = [{"id": o["id"], "text": o["text"]} for o in item["options"]]
        rng.shuffle(opts)
        blind.append({"unit": data["unit"], "item": item["id"], "criterion": item["criterion"], "stem": item["stem"], "options": opts})
        keys[item["id"]] = item["key"]
json.dump(blind, open(out + ".blind.json", "w"), indent=1)
json.dump(keys, open(out + ".keys.json", "w"), indent=1)
print(len(blind))
