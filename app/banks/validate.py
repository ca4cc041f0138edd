"""Every rule a bank must meet before it is loaded. Each problem names file and line."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator

from app.banks import cues, media, richtext
from app.banks.reader import BankSet, Problem, QualificationBank, UnitBank
from app.banks.schemas import GroupFile, ItemFile, UnitFile
from app.errors import Invalid
from app.papers.spec import outcome_quotas

CATCH_ALL = re.compile(r"\b(all|none|both|neither) of the (above|options|answers)\b", re.I)
# A negative in a stem must be impossible to miss: capitals, or rephrase.
QUIET_NEGATIVE = re.compile(r"\b(not|never|except|least)\b")
BALANCE_MARGIN = 0.10  # how far a key position's share may stray from 1/k across a unit
MIN_ITEMS_FOR_BALANCE = 20
MIN_STEM = 10
MIN_OPTIONS, MAX_OPTIONS = 3, 5
SHOWN = 12  # examples named in a unit-wide problem
# The statuses whose items candidates see on papers (scored or not).
ON_PAPERS = ("live", "pretest")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def validate(bank: BankSet) -> list[Problem]:
    """All problems: those found while reading, then the rules across files."""
    problems = list(bank.problems)
    item_ids: set[str] = set()
    for qualification in bank.qualifications:
        problems.extend(_qualification(qualification))
        units = {u.urn: u for u in qualification.model.units}
        seen_units: set[str] = set()
        for unit_bank in qualification.units:
            urn = unit_bank.model.unit
            if urn in seen_units:
                problems.append(unit_bank.problem(("unit",), f"a second bank file for {urn}"))
            seen_units.add(urn)
            expected = urn.replace("/", "-") + ".yaml"
            if unit_bank.path.name != expected:
                problems.append(
                    unit_bank.problem(("unit",), f"the file for {urn} is named {expected}")
                )
            unit = units.get(urn)
            if unit is None:
                problems.append(
                    unit_bank.problem(
                        ("unit",), f"{urn} is not a unit of {qualification.model.code}"
                    )
                )
                continue
            for i, item in enumerate(unit_bank.model.items):
                if item.id in item_ids:  # ids are unique across every bank, not just this file
                    problems.append(
                        unit_bank.problem(("items", i, "id"), f"item id {item.id} is used twice")
                    )
                item_ids.add(item.id)
            problems.extend(_unit_bank(unit_bank, unit))
        problems.extend(_near_duplicates(qualification.units))
    return sorted(set(problems), key=lambda p: (str(p.file), p.line, p.message))


def _groups(group: GroupFile) -> Iterator[GroupFile]:
    yield group
    for child in group.groups or []:
        yield from _groups(child)


def _qualification(q: QualificationBank) -> Iterator[Problem]:
    model = q.model
    groups = list(_groups(model.rules_of_combination))
    codes = Counter(g.code for g in groups)
    for code, n in codes.items():
        if n > 1:
            yield q.problem(("rules_of_combination",), f"group code {code} is used {n} times")
    leaves = {g.code for g in groups if g.groups is None}
    urns = Counter(u.urn for u in model.units)
    for i, unit in enumerate(model.units):
        if urns[unit.urn] > 1:
            yield q.problem(("units", i, "urn"), f"unit {unit.urn} is listed twice")
        if unit.group not in leaves:
            yield q.problem(
                ("units", i, "group"), f"{unit.group} is not a group of units in the rules"
            )
        yield from _outcomes(q, i, unit)
    for i, pair in enumerate(model.barred):
        for urn in pair:
            if urn not in urns:
                yield q.problem(
                    ("barred", i), f"barred unit {urn} is not a unit of the qualification"
                )
        if pair[0] == pair[1]:
            yield q.problem(("barred", i), "a unit cannot be barred with itself")


def _outcomes(q: QualificationBank, i: int, unit: UnitFile) -> Iterator[Problem]:
    numbers = Counter(o.number for o in unit.learning_outcomes)
    refs: Counter[str] = Counter()
    for j, outcome in enumerate(unit.learning_outcomes):
        if numbers[outcome.number] > 1:
            yield q.problem(
                ("units", i, "learning_outcomes", j), f"learning outcome {outcome.number} twice"
            )
        for k, criterion in enumerate(outcome.criteria):
            refs[criterion.ref] += 1
            if int(criterion.ref[:2]) != outcome.number:
                loc = ("units", i, "learning_outcomes", j, "criteria", k, "ref")
                yield q.problem(
                    loc, f"criterion {criterion.ref} filed under outcome {outcome.number}"
                )
    for ref, n in refs.items():
        if n > 1:
            yield q.problem(("units", i), f"{unit.urn}: criterion {ref} appears {n} times")


def _unit_bank(bank: UnitBank, unit: UnitFile) -> Iterator[Problem]:
    items = bank.model.items
    ids = {item.id for item in items}
    outcome_of = {c.ref: o.number for o in unit.learning_outcomes for c in o.criteria}
    stems: dict[str, int] = {}
    for i, item in enumerate(items):
        yield from _item(bank, i, item, outcome_of, ids)
        stem = _norm(item.stem)
        if stem in stems:
            yield bank.problem(
                ("items", i, "stem"), f"{item.id}: same stem as {items[stems[stem]].id}"
            )
        stems.setdefault(stem, i)
    live = [item for item in items if item.status == "live" and item.criterion in outcome_of]
    yield from _coverage(bank, unit, live)
    # Pretest items reach candidates' papers too: the same cues are checked on them, but only
    # live items count towards a criterion's coverage (a pretest item is never scored).
    shown = [item for item in items if item.status in ON_PAPERS and item.criterion in outcome_of]
    yield from _balance(bank, shown)
    yield from _absolutes(bank, shown)
    yield from _testwise(bank, shown)
    yield from _echoes(bank, shown)
    yield from _endings(bank, shown)


def _item(
    bank: UnitBank, i: int, item: ItemFile, outcome_of: dict[str, int], ids: set[str]
) -> Iterator[Problem]:
    at = ("items", i)
    if item.criterion is None:
        yield bank.problem(
            (*at, "id"),
            f"{item.id}: needs a criterion before it can be loaded (give it one, or map its "
            "source with `banks import --map`)",
        )
    elif item.criterion not in outcome_of:
        yield bank.problem(
            (*at, "criterion"), f"{item.id}: {bank.model.unit} has no criterion {item.criterion}"
        )
    if not (item.rationale or "").strip():
        yield bank.problem((*at, "id"), f"{item.id}: needs a rationale (why the key is right)")
    if len(item.stem) < MIN_STEM:
        yield bank.problem((*at, "stem"), f"{item.id}: a stem of at least {MIN_STEM} characters")
    if not MIN_OPTIONS <= len(item.options) <= MAX_OPTIONS:
        yield bank.problem(
            (*at, "options"),
            f"{item.id}: {len(item.options)} options; an item has {MIN_OPTIONS} to {MAX_OPTIONS}",
        )
    yield from _rich(bank, at, item)
    texts = Counter(_norm(o.text) for o in item.options)
    if any(n > 1 for n in texts.values()):
        yield bank.problem((*at, "options"), f"{item.id}: two options have the same text")
    for j, option in enumerate(item.options):
        if CATCH_ALL.search(option.text):
            yield bank.problem(
                (*at, "options", j), f"{item.id}: no 'all/none of the above' options"
            )
        if option.id != item.key and not (option.why or "").strip():
            yield bank.problem(
                (*at, "options", j), f"{item.id}: distractor {option.id} needs a 'why'"
            )
    option_ids = [o.id for o in item.options]
    if option_ids == sorted(option_ids):
        yield bank.problem(
            (*at, "options"), f"{item.id}: option ids sort into the authored order; regenerate them"
        )
    if match := QUIET_NEGATIVE.search(item.stem):
        yield bank.problem(
            (*at, "stem"),
            f"{item.id}: negative {match.group(0)!r} in the stem: capitalise it or rephrase",
        )
    for enemy in item.enemies:
        if enemy == item.id or enemy not in ids:
            yield bank.problem(
                (*at, "enemies"), f"{item.id}: enemy {enemy} is not another item of this unit"
            )


def _coverage(bank: UnitBank, unit: UnitFile, live: list[ItemFile]) -> Iterator[Problem]:
    spec = bank.model.test_spec
    per_criterion = Counter(item.criterion for item in live)
    for outcome in unit.learning_outcomes:
        for criterion in outcome.criteria:
            if per_criterion[criterion.ref] < spec.min_live_items_per_criterion:
                yield bank.problem(
                    ("test_spec", "min_live_items_per_criterion"),
                    f"criterion {criterion.ref} has {per_criterion[criterion.ref]} live items; "
                    f"at least {spec.min_live_items_per_criterion} needed",
                )
    needed = math.ceil(spec.items * 100 / spec.max_exposure_percent)
    if len(live) < needed:
        yield bank.problem(
            ("test_spec", "items"),
            f"{len(live)} live items; a paper of {spec.items} may use at most "
            f"{spec.max_exposure_percent}% of the bank, so at least {needed} are needed",
        )
    criteria_per_outcome = {o.number: len(o.criteria) for o in unit.learning_outcomes}
    try:
        quotas = outcome_quotas(spec.items, criteria_per_outcome, spec.outcome_items)
    except Invalid as exc:
        yield bank.problem(("test_spec", "outcome_items"), exc.detail)
        return
    live_per_outcome: defaultdict[int, list[ItemFile]] = defaultdict(list)
    outcome_of = {c.ref: o.number for o in unit.learning_outcomes for c in o.criteria}
    for item in live:
        if item.criterion is not None:  # live items without one are named in _item
            live_per_outcome[outcome_of[item.criterion]].append(item)
    for number, quota in quotas.items():
        if _greedy_pick(live_per_outcome[number]) < quota:
            yield bank.problem(
                ("test_spec", "items"),
                f"learning outcome {number} needs {quota} items on a paper but has too few live, "
                "mutually compatible items",
            )


def _greedy_pick(items: list[ItemFile]) -> int:
    """How many items of one outcome can share a paper, enemies apart (a lower bound)."""
    chosen: set[str] = set()
    banned: set[str] = set()
    for item in sorted(items, key=lambda x: len(x.enemies)):
        if item.id in banned:
            continue
        chosen.add(item.id)
        banned.update(item.enemies)
        banned.update(x.id for x in items if item.id in x.enemies)
    return len(chosen)


def _balance(bank: UnitBank, live: list[ItemFile]) -> Iterator[Problem]:
    if len(live) < MIN_ITEMS_FOR_BALANCE:
        return
    width = Counter(len(item.options) for item in live).most_common(1)[0][0]
    same = [item for item in live if len(item.options) == width]
    positions = Counter([o.id for o in item.options].index(item.key) for item in same)
    for position in range(width):
        share = positions[position] / len(same)
        if abs(share - 1 / width) > BALANCE_MARGIN:
            yield bank.problem(
                ("items",),
                f"the key is option {position + 1} in {share:.0%} of items; keep each position "
                f"within {BALANCE_MARGIN:.0%} of {1 / width:.0%}",
            )
    longest = 0
    for item in live:
        lengths = [len(o.text) for o in item.options]
        key_length = lengths[[o.id for o in item.options].index(item.key)]
        if key_length == max(lengths) and lengths.count(key_length) == 1:
            longest += 1
    expected = sum(1 / len(item.options) for item in live) / len(live)
    if longest / len(live) > expected + BALANCE_MARGIN:
        yield bank.problem(
            ("items",),
            f"the key is the longest option in {longest / len(live):.0%} of items; "
            f"chance is {expected:.0%}",
        )


def _rich(bank: UnitBank, at: tuple[str | int, ...], item: ItemFile) -> Iterator[Problem]:
    """Rich text within the safe subset; every picture present beside the bank, with alt text."""
    if item.stem_html is not None:
        for message in richtext.problems(item.stem_html):
            yield bank.problem((*at, "stem_html"), f"{item.id}: {message}")
    folder = bank.path.parent.resolve()
    for j, image in enumerate(item.images):
        where = (*at, "images", j)
        path = (folder / image.file).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            yield bank.problem((*where, "file"), f"{item.id}: picture {image.file} is not there")
        elif path.stat().st_size > media.MAX_IMAGE_BYTES:
            yield bank.problem(
                (*where, "file"),
                f"{item.id}: picture {image.file} is larger than "
                f"{media.MAX_IMAGE_BYTES // 2**20} MB",
            )
        elif media.content_type(path.read_bytes()[:16]) is None:
            yield bank.problem(
                (*where, "file"), f"{item.id}: {image.file} is not a PNG, JPEG, GIF or WebP picture"
            )
        if not (image.alt or "").strip():
            yield bank.problem(
                where, f"{item.id}: picture {image.file} needs alt text (what it shows)"
            )


def _key_and_distractors(item: ItemFile) -> tuple[str, list[str]]:
    key = next((o.text for o in item.options if o.id == item.key), "")
    return key, [o.text for o in item.options if o.id != item.key]


def _at(bank: UnitBank, item: ItemFile) -> tuple[str | int, ...]:
    return ("items", bank.model.items.index(item))


def _absolutes(bank: UnitBank, live: list[ItemFile]) -> Iterator[Problem]:
    """Absolute words about as common in distractors as in keys (within 1.3 times either way)."""
    in_distractors: list[str] = []
    in_keys: list[str] = []
    for item in live:
        for option in item.options:
            if words := cues.absolutes_in(option.text):
                found = in_keys if option.id == item.key else in_distractors
                found.append(f"{item.id}/{option.id} {words[0]!r}")
    ratio = cues.AbsolutesRatio(
        len(in_distractors), sum(len(i.options) - 1 for i in live), len(in_keys), len(live)
    )
    shares = (
        f"absolute words in {ratio.distractor_rate:.1%} of distractors ({len(in_distractors)} "
        f"of {ratio.distractors}) and {ratio.key_rate:.1%} of keys ({len(in_keys)} of "
        f"{len(live)})"
    )
    for cue, flagged, advice in (
        (ratio.too_many, in_distractors, "avoiding the absolute finds the key"),
        (ratio.too_few, in_keys, "the absolute points at the key"),
    ):
        if cue:
            yield bank.problem(
                ("items",),
                f"{shares}; {advice}: keep each within {float(cues.ABSOLUTES_RATIO)}x of the "
                "other (counting at least one item's worth): "
                + ", ".join(flagged[:SHOWN])
                + (f" and {len(flagged) - SHOWN} more" if len(flagged) > SHOWN else ""),
                review=True,
            )


def _testwise(bank: UnitBank, live: list[ItemFile]) -> Iterator[Problem]:
    """No simple strategy (longest, shortest, avoid or pick the absolute, most or fewest stem
    words) finds the keys much more often than chance: at most cues.TESTWISE_LIMIT times."""
    ready = []  # (item, (stem, option texts, the key's index)); a keyless item is reported apart
    for item in live:
        ids = [o.id for o in item.options]
        if item.key in ids:
            ready.append((item, (item.stem, [o.text for o in item.options], ids.index(item.key))))
    if len(ready) < 20:  # too few for a share to mean anything
        return
    items = [shown for _, shown in ready]
    scores = cues.testwise(items)
    limit = scores["chance"] * cues.TESTWISE_LIMIT
    for name, score in cues.STRATEGIES.items():
        if scores[name] <= limit:
            continue
        found = [
            item.id
            for item, (stem, options, key) in ready
            if cues.expected_score(score, stem, options, key) == 1
        ]
        yield bank.problem(
            ("items",),
            f"'{name}' finds the key in {float(scores[name]):.0%} of live items (chance "
            f"{float(scores['chance']):.0%}; at most {float(limit):.0%}): vary the options so "
            "that it does not: "
            + ", ".join(found[:SHOWN])
            + (f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""),
            review=True,
        )


def _echoes(bank: UnitBank, live: list[ItemFile]) -> Iterator[Problem]:
    """Items whose key alone repeats the stem's wording."""
    common = cues.common_stems(
        (item.stem + " " + " ".join(o.text for o in item.options) for item in live),
        cues.COMMON_SHARE,
    )
    for item in live:
        key, others = _key_and_distractors(item)
        if words := cues.stem_echo(item.stem, key, others, common):
            yield bank.problem(
                (*_at(bank, item), "stem"),
                f"{item.id}: only the key repeats the stem's "
                f"{', '.join(cues.words_for(item.stem, words))!r}; "
                "reword the key or let distractors use the stem's terms too",
                review=True,
            )


def _endings(bank: UnitBank, live: list[ItemFile]) -> Iterator[Problem]:
    """Options of one item end alike, and a unit keeps one convention for final full stops."""
    consistent: dict[str, bool] = {}
    for item in live:
        texts = [o.text for o in item.options]
        if cues.mixed_endings(texts):
            yield bank.problem(
                (*_at(bank, item), "options"),
                f"{item.id}: some options end with a full stop and some do not",
                review=True,
            )
        else:
            endings = {e for text in texts if (e := cues.ends_as_sentence(text)) is not None}
            if endings:
                consistent[item.id] = endings.pop()
    with_stop = sum(consistent.values())
    convention = with_stop * 2 >= len(consistent)  # ties go to full stops
    for item in live:
        if item.id in consistent and consistent[item.id] != convention:
            most = "end with a full stop" if convention else "have no final full stop"
            yield bank.problem(
                (*_at(bank, item), "options"),
                f"{item.id}: options {'do not ' if convention else ''}end with a full stop, "
                f"but most items of this unit {most}",
                review=True,
            )


def _near_duplicates(units: list[UnitBank]) -> Iterator[Problem]:
    """Items of different units that reuse one scenario and answer (a candidate may sit both)."""
    words = [
        (bank, item, cues.scenario_words(item.stem, _key_and_distractors(item)[0]))
        for bank in units
        for item in bank.model.items
        if item.status in ON_PAPERS
    ]
    for i, (bank_a, item_a, words_a) in enumerate(words):
        for bank_b, item_b, words_b in words[i + 1 :]:
            if bank_a is bank_b or not cues.near_duplicate(words_a, words_b):
                continue
            similarity = cues.jaccard(words_a, words_b)
            for bank, item, other, other_bank in (
                (bank_a, item_a, item_b, bank_b),
                (bank_b, item_b, item_a, bank_a),
            ):
                yield bank.problem(
                    (*_at(bank, item), "stem"),
                    f"{item.id}: near duplicate of {other.id} in unit {other_bank.model.unit} "
                    f"({similarity:.0%} of stem and key words shared); rewrite one of them",
                    review=True,
                )
