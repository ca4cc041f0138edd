"""Cues a test-wise candidate uses to find a key without knowing the job, as pure functions.

`banks validate` applies them (app/banks/validate.py); question_banks/README.md explains each
rule to authors. Everything here works on plain strings so that it can be tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import snowballstemmer

# Words and phrases that make a claim absolute. "Avoid the absolute" wins marks when they sit in
# distractors more often than in keys. One list, matched as whole words, case-insensitively.
ABSOLUTES: tuple[str, ...] = (
    "every",
    "everyone",
    "everything",
    "any",
    "anyone",
    "anything",
    "all",
    "always",
    "never",
    "only",
    "alone",
    "guarantee",
    "guarantees",
    "guaranteed",
    "no longer",
    "at all",
    "none",
    "nothing",
    "no one",
    "entirely",
    "completely",
    "whatever",
    "whenever",
    "regardless",
    "automatically",
    "under no circumstances",
    "in all cases",
    "in every case",
)
_ABSOLUTE = re.compile(
    r"\b(?:"
    + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(ABSOLUTES, key=len)[::-1])
    + r")\b",
    re.IGNORECASE,
)
# Distractors may carry absolutes at most this many times as often as keys, and keys at most this
# many times as often as distractors: either way round, an absolute would point at the answer.
ABSOLUTES_RATIO = Fraction(13, 10)
# Each side's share is counted as at least this many items' worth (1 / number of items), so that
# a unit whose keys hold no absolute may still hold a proportionate handful in distractors (up to
# about one per 31 distractors in a 40-item unit), and one key with an absolute is not a cue.
ABSOLUTES_FLOOR_ITEMS = 1


def absolutes_in(text: str) -> list[str]:
    """The absolute words and phrases in a text, lower-cased, in order."""
    return [" ".join(m.group(0).lower().split()) for m in _ABSOLUTE.finditer(text)]


@dataclass(frozen=True)
class AbsolutesRatio:
    distractors_with: int
    distractors: int
    keys_with: int
    keys: int

    @property
    def distractor_rate(self) -> float:
        return self.distractors_with / self.distractors if self.distractors else 0.0

    @property
    def key_rate(self) -> float:
        return self.keys_with / self.keys if self.keys else 0.0

    def _shares(self) -> tuple[Fraction, Fraction]:
        floor = Fraction(ABSOLUTES_FLOOR_ITEMS, self.keys)
        return (
            max(Fraction(self.distractors_with, self.distractors), floor),
            max(Fraction(self.keys_with, self.keys), floor),
        )

    @property
    def too_many(self) -> bool:
        """Distractors' share above 1.3 times keys' share (each floored at one item's worth).

        In exact fractions, so that a share of exactly 1.3 times passes.
        """
        if not self.distractors or not self.keys:
            return False
        distractors, keys = self._shares()
        return distractors > ABSOLUTES_RATIO * keys

    @property
    def too_few(self) -> bool:
        """Keys' share above 1.3 times distractors' share: the cue left by over-correcting."""
        if not self.distractors or not self.keys:
            return False
        distractors, keys = self._shares()
        return keys > ABSOLUTES_RATIO * distractors


# Function words, and words every contact-centre item uses, which say nothing about the answer.
_STOP_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each either few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me might more most much must my myself neither no nor not now of off on once only
    or other others our ours ourselves out over own same shall she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up
    upon us very was we were what when where which while who whom whose why will with within
    without would you your yours yourself yourselves one two three first second also still yet ever
    even may another mean means see keep keeps kept never always every best likely main mainly
    following statement describes describe explain explains correct correctly true way ways reason
    reasons purpose example situation agent agents customer customers caller callers call calls
    contact centre centres team leader manager organisation organisations company business work
    working job role say says said tell tells told ask asks asked want wants wanted need needs
    needed get gets make makes made use uses used take takes give gives go goes going put new
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z][a-z'\u2019-]*[a-z]|[a-z]")


_ENGLISH = snowballstemmer.stemmer("english")


def stem_word(word: str) -> str:
    """The word's Snowball (Porter2) English stem, so that "inform", "informed", "informing",
    "informs" and "objective", "objectives" meet."""
    w = word.lower().replace("\u2019", "'")
    return str(_ENGLISH.stemWord(w.removesuffix("'s").strip("'-")))


_STOP_STEMS = frozenset(stem_word(w) for w in STOP_WORDS)


def content_stems(text: str) -> set[str]:
    """The stemmed content words of a text: no stop words, no words of one or two letters."""
    words = _WORD.findall(text.lower())
    stems = {stem_word(w) for w in words if len(w) > 2 and w not in STOP_WORDS}
    return stems - _STOP_STEMS


def stem_echo(
    stem: str, key: str, distractors: Sequence[str], common: Iterable[str] = ()
) -> set[str]:
    """The stem's words that only the key repeats, when the key alone picks up the stem's wording.

    Empty unless all three hold: the key repeats a stem word that no distractor repeats; the key
    repeats more of the stem's words than any distractor; and at most one distractor repeats any
    of them. Words in `common` (a unit's everyday vocabulary, see `common_stems`) carry no cue
    and are ignored, as are stop words.
    """
    ignore = set(common)
    stem_words = content_stems(stem) - ignore
    key_echo = content_stems(key) & stem_words
    echoes = [content_stems(text) & stem_words for text in distractors]
    only_key = key_echo - set().union(*echoes)
    if not only_key:
        return set()
    if len(key_echo) <= max((len(e) for e in echoes), default=0):
        return set()
    if sum(1 for e in echoes if e) > 1:
        return set()
    return only_key


# A word in more than this share of a unit's items (stem and options) is its everyday vocabulary.
COMMON_SHARE = 0.15


def common_stems(texts: Iterable[str], share: float) -> set[str]:
    """Stems found in more than `share` of the texts: a unit's everyday vocabulary."""
    counts: dict[str, int] = {}
    n = 0
    for text in texts:
        n += 1
        for word in content_stems(text):
            counts[word] = counts.get(word, 0) + 1
    return {w for w, c in counts.items() if c > share * n}


FULL_STOP_ENDINGS = (".", "!", "?")
QUOTES = "\"'\u2018\u201c"  # straight, and curly opening single and double


def ends_as_sentence(text: str) -> bool | None:
    """Whether an option ends with sentence punctuation; None for an option that is a quotation.

    Words quoted as spoken ("Good morning, how can I help?") keep their own punctuation, so they
    tell nothing about the item's convention.
    """
    text = text.strip()
    if text[:1] in QUOTES:
        return None
    return text.rstrip("\"'\u2019\u201d)]").endswith(FULL_STOP_ENDINGS)


def mixed_endings(options: Sequence[str]) -> bool:
    """Some options of one item end with a full stop and some do not (quotations aside)."""
    endings = {ends_as_sentence(text) for text in options} - {None}
    return len(endings) > 1


def words_for(text: str, stems: Iterable[str]) -> list[str]:
    """The words of a text whose stems are given, as written, in order and without repeats."""
    wanted = set(stems)
    found: list[str] = []
    for word in _WORD.findall(text.lower()):
        if stem_word(word) in wanted and word not in found:
            found.append(word)
    return found


# Two items of different units are near duplicates when the content words of stem and key
# together overlap this much (Jaccard). Tuned on 600/8065/6: pairs at 0.33 and above reuse one
# scenario and its answer (the same PCI DSS card-code rule, the same rapport question); below
# 0.3 they merely share a topic's vocabulary.
NEAR_DUPLICATE = Fraction(33, 100)


def scenario_words(stem: str, key: str) -> frozenset[str]:
    """What an item is about: the content words of its stem and of its key."""
    return frozenset(content_stems(stem) | content_stems(key))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared words over all words of the two; 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two items' scenario words overlap at or above NEAR_DUPLICATE (exact fractions)."""
    union = len(a | b)
    return union > 0 and Fraction(len(a & b), union) >= NEAR_DUPLICATE


# What a test-wise candidate who knows nothing of the job scores with each simple strategy. An
# unbiased unit scores about chance (1 / options) with every one of them.
STRATEGIES: dict[str, Callable[[str, str], float]] = {
    "pick the longest": lambda stem, text: len(" ".join(text.split())),
    # Writers told not to make the key the longest overcorrect: a blind reader found the key
    # the shortest option in 45 of 108 items of two units (session 7).
    "pick the shortest": lambda stem, text: -len(" ".join(text.split())),
    "avoid absolutes": lambda stem, text: 0 if absolutes_in(text) else 1,
    "pick the absolute": lambda stem, text: 1 if absolutes_in(text) else 0,
    "most stem words": lambda stem, text: len(content_stems(text) & content_stems(stem)),
    "fewest stem words": lambda stem, text: -len(content_stems(text) & content_stems(stem)),
}


# A test-wise strategy may find a unit's keys at most this many times as often as chance: 35 %
# of four-option items. A fair unit of 50 items passes it about 19 times in 20 by chance alone.
TESTWISE_LIMIT = Fraction(7, 5)


def expected_score(
    score: Callable[[str, str], float], stem: str, options: Sequence[str], key: int
) -> Fraction:
    """The chance that choosing the best-scoring option (ties at random) picks the key."""
    scores = [score(stem, text) for text in options]
    best = [i for i, s in enumerate(scores) if s == max(scores)]
    return Fraction(1, len(best)) if key in best else Fraction(0)


def testwise(items: Sequence[tuple[str, Sequence[str], int]]) -> dict[str, Fraction]:
    """Each strategy's expected share of marks over items (stem, options, index of the key)."""
    if not items:
        return {}
    result = {"chance": sum((Fraction(1, len(o)) for _, o, _ in items), Fraction(0)) / len(items)}
    for name, score in STRATEGIES.items():
        total = sum((expected_score(score, s, o, k) for s, o, k in items), Fraction(0))
        result[name] = total / len(items)
    return result


def summary(items: Sequence[tuple[str, Sequence[str], int]]) -> str:
    """One line for a unit: absolutes on each side, then each test-wise strategy's score."""
    keys = sum(1 for _, options, key in items if absolutes_in(options[key]))
    distractors = [t for _, options, key in items for j, t in enumerate(options) if j != key]
    with_absolute = sum(1 for text in distractors if absolutes_in(text))
    scores = ", ".join(f"{name} {float(v):.0%}" for name, v in testwise(items).items())
    return (
        f"absolutes in {with_absolute / max(len(distractors), 1):.0%} of distractors and "
        f"{keys / max(len(items), 1):.0%} of keys; {scores}"
    )
