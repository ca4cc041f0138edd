"""The item-quality cues as pure functions, with cases that sit just either side of each line."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.banks import cues


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Check the account every time", ["every"]),
        ("Anyone may call on ALL days", ["anyone", "all"]),
        ("It does not matter at all", ["at all"]),  # the phrase, not "all" twice
        ("The offer is no longer valid", ["no longer"]),
        ("It never   applies under no circumstances", ["never", "under no circumstances"]),
        ("Everything is fine; nothing is missing", ["everything", "nothing"]),
        ("She is the company's sole contact", []),  # not in the list
        ("Anyway, the ballot is finally counted", []),  # words inside words do not count
        ("Many callers are allowed to wait", []),
        ("Only the account holder, alone", ["only", "alone"]),
    ],
)
def test_absolutes_are_whole_words_in_any_case(text: str, found: list[str]) -> None:
    assert cues.absolutes_in(text) == found


@pytest.mark.parametrize(
    ("distractors_with", "distractors", "keys_with", "keys", "too_many", "too_few"),
    [
        (39, 300, 10, 100, False, False),  # 13% against 10%: exactly 1.3 times passes
        (40, 300, 10, 100, True, False),  # 13.3% against 10%: just over 1.3 times
        (13, 100, 10, 100, False, False),  # exactly 1.3 times, same counts of each
        (14, 100, 10, 100, True, False),
        (30, 300, 10, 100, False, False),  # the same share
        (0, 300, 0, 100, False, False),  # no absolutes anywhere
        # A share is counted as at least one item's worth (1 of 100 items, 1%).
        (3, 300, 0, 100, False, False),  # 1.0% of distractors against a floor of 1%
        (4, 300, 0, 100, True, False),  # 1.33%: over
        (4, 300, 1, 100, True, False),  # the floor is the same as one real key
        (5, 300, 2, 100, False, False),  # 1.67% against 2%
        # The reverse: keys at most 1.3 times distractors.
        (30, 300, 13, 100, False, False),  # 13% of keys against 10%: exactly 1.3 times
        (30, 300, 14, 100, False, True),  # 14%: over
        (0, 300, 1, 100, False, False),  # one key against the floor of one item's worth
        (0, 300, 2, 100, False, True),  # two keys, no distractor: the absolute marks the key
        (0, 0, 0, 0, False, False),  # an empty unit has nothing to compare
    ],
)
def test_absolutes_ratio_is_exact_at_one_point_three_either_way(
    distractors_with: int,
    distractors: int,
    keys_with: int,
    keys: int,
    too_many: bool,
    too_few: bool,
) -> None:
    ratio = cues.AbsolutesRatio(distractors_with, distractors, keys_with, keys)
    assert (ratio.too_many, ratio.too_few) == (too_many, too_few)


def test_stemming_meets_the_forms_of_a_word() -> None:
    forms = {cues.stem_word(w) for w in ("inform", "informs", "informed", "informing")}
    assert len(forms) == 1
    assert cues.stem_word("planned") == cues.stem_word("plans")
    assert cues.stem_word("queries") == cues.stem_word("query")
    assert cues.stem_word("calls") != cues.stem_word("cancel")


def test_content_words_drop_stop_words_and_job_words() -> None:
    assert cues.content_stems("What should the agent tell the customer about the refund?") == {
        cues.stem_word("refund")
    }


STEM = "Lena wants to keep customers informed about a delayed delivery. What should she do?"


@pytest.mark.parametrize(
    ("key", "distractors", "echo"),
    [
        # Only the key picks up "informed" and "delivery": the cue the review found.
        (
            "Keep them informed of the new delivery date",
            ["Offer a refund", "Pass the call to a colleague", "Log a complaint"],
            {"inform", "delivery"},
        ),
        # One distractor shares a stem word the key does not: still the key alone echoes more.
        (
            "Keep them informed of the new delivery date",
            ["Apologise for the delay", "Pass the call on", "Log a complaint"],
            {"inform", "delivery"},
        ),
        # Two distractors echo the stem too: no cue.
        (
            "Keep them informed of the new delivery date",
            ["Apologise for the delay", "Promise a delivery slot", "Log a complaint"],
            set(),
        ),
        # A distractor echoes as many stem words as the key: no cue.
        (
            "Tell them the delivery date",
            ["Say the delayed parcel is lost", "Offer a refund", "Log a complaint"],
            set(),
        ),
        # The key repeats nothing of the stem.
        ("Give the new date", ["Offer a refund", "Pass the call on", "Log it"], set()),
    ],
)
def test_stem_echo(key: str, distractors: list[str], echo: set[str]) -> None:
    expected = {cues.stem_word(w) for w in echo}
    assert cues.stem_echo(STEM, key, distractors) == expected


def test_stem_echo_ignores_a_units_everyday_words() -> None:
    key = "Keep them informed of the new delivery date"
    distractors = ["Offer a refund", "Pass the call on", "Log a complaint"]
    common = {cues.stem_word("delivery"), cues.stem_word("informed")}
    assert cues.stem_echo(STEM, key, distractors, common) == set()


def test_common_stems_are_words_in_more_than_the_share_of_texts() -> None:
    texts = ["refund due", "refund late", "refund now", "parcel late", "parcel lost"]
    assert cues.common_stems(texts, 0.4) == {cues.stem_word("refund")}  # 3 of 5 > 2
    assert cues.common_stems(texts, 0.6) == set()  # 3 of 5 is not more than 3


@pytest.mark.parametrize(
    ("options", "mixed"),
    [
        (["Yes.", "No.", "Maybe."], False),
        (["Yes", "No", "Maybe"], False),
        (["Yes.", "No", "Maybe"], True),
        (["Is it?", "No", "Maybe"], True),
        (["It is (see terms).", "No.", "Maybe."], False),
        (['"Good morning, how can I help?"', "Ask their name", "Say hello"], False),
    ],
)
def test_mixed_final_punctuation(options: list[str], mixed: bool) -> None:
    assert cues.mixed_endings(options) is mixed


def test_a_quotation_has_no_convention() -> None:
    assert cues.ends_as_sentence('"Thank you for calling."') is None
    assert cues.ends_as_sentence("Thank them for calling.") is True
    assert cues.ends_as_sentence("Thank them for calling") is False


def test_near_duplicate_threshold_is_exact() -> None:
    a = frozenset(f"w{i}" for i in range(67))
    # 33 shared of 100 in the union: exactly 0.33, a near duplicate
    b = frozenset(f"w{i}" for i in range(34, 67)) | frozenset(f"x{i}" for i in range(33))
    assert len(a | b) == 100 and len(a & b) == 33
    assert cues.near_duplicate(a, b)
    # 32 of 100: not
    c = frozenset(f"w{i}" for i in range(35, 67)) | frozenset(f"x{i}" for i in range(33))
    c = c | {"y"}
    assert len(a | c) == 101 and len(a & c) == 32
    assert not cues.near_duplicate(a, c)
    assert not cues.near_duplicate(frozenset(), frozenset())


def test_scenario_words_join_stem_and_key() -> None:
    words = cues.scenario_words("A caller reads out the card security code.", "Never store it")
    assert words == {cues.stem_word(w) for w in ("reads", "card", "security", "code", "store")}


def test_expected_scores_of_test_wise_strategies_split_ties() -> None:
    stem = "Why should Ana confirm the delivery address?"
    items = [
        # key (index 0) is the single longest and the only one without an absolute
        (stem, ["A much longer option than the others", "Always", "Never", "Only"], 0),
        # two options tie for longest, one of them the key: half a mark
        (stem, ["Same length!", "Same length?", "Short", "Tiny"], 1),
        # key repeats the stem's "delivery address"; no absolutes anywhere: a four-way tie
        (stem, ["Check the delivery address", "Be polite", "Say thanks", "Log it"], 0),
    ]
    scores = cues.testwise(items)
    assert scores["chance"] == Fraction(1, 4)
    assert scores["pick the longest"] == (1 + Fraction(1, 2) + 1) / 3
    assert scores["pick the shortest"] == 0  # "Only", "Tiny" and "Log it" are distractors
    assert scores["avoid absolutes"] == (1 + Fraction(1, 4) + Fraction(1, 4)) / 3
    assert scores["pick the absolute"] == (0 + Fraction(1, 4) + Fraction(1, 4)) / 3
    assert scores["most stem words"] == (Fraction(1, 4) + Fraction(1, 4) + 1) / 3
    # the first two items share no stem word anywhere (a four-way tie); in the third the key is the
    # only option that does, so the three distractors tie for fewest
    assert scores["fewest stem words"] == (Fraction(1, 4) + Fraction(1, 4) + 0) / 3
    assert cues.testwise([]) == {}
