"""GIFT, Moodle's plain-text question format, read as Moodle reads it.

Questions are separated by blank lines; lines starting with // are comments (Moodle 4 keeps
`[id:...]` and `[tag:...]` in them); `$CATEGORY:` switches the category; `::title::` names a
question; `[html]`, `[moodle]`, `[plain]`, `[markdown]` set a text's format; `\\~ \\= \\# \\{ \\}
\\:` are literal characters and `\\n` a new line. In an answer block, `=` marks the correct
answer and `~` a wrong one (with an optional `%weight%` and `#feedback`); `####` starts the
general feedback. Text after the block makes it a missing-word question ('_____' in the stem).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.interchange import formats, text
from app.interchange.model import Choice, Question, Reading, Skipped, Unreadable
from app.interchange.moodle import OTHER_KINDS

ESCAPED = "~=#{}:"
# escaped control characters live as private-use characters while the structure is parsed
_HIDE = {f"\\{c}": chr(0xE000 + i) for i, c in enumerate(ESCAPED)}
_SHOW = {chr(0xE000 + i): c for i, c in enumerate(ESCAPED)}
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TRUEFALSE = re.compile(r"^(T|TRUE|F|FALSE)\s*(#|$)", re.I)
_META = re.compile(r"\[(id|tag):([^\]]*)\]")
# evidently XML, not GIFT (which may start with HTML, never with a declaration or these roots)
_XML = re.compile(
    r"<(\?xml\b|(?:[\w.-]+:)?(quiz|assessmentItem|assessmentTest|qti-assessment-item|"
    r"qti-assessment-test|manifest)\b)"
)
BLANK = "_____"


@dataclass
class _Block:
    line: int
    lines: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # each line's number in the file
    identifiers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def decode(data: bytes, source: str) -> tuple[str, str | None]:
    """The text, and a note when it was not UTF-8 (GIFT should be; Windows-1252 is common)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), f"{source}: read as UTF-16 (byte order mark)"
        except UnicodeDecodeError as exc:
            raise Unreadable(source, f"not valid UTF-16: {exc.reason}") from exc
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        bad_line = data.count(b"\n", 0, exc.start) + 1
        try:
            decoded = data.decode("cp1252")
        except UnicodeDecodeError as exc2:
            raise Unreadable(
                source,
                "neither UTF-8 nor Windows-1252 text (byte "
                f"0x{data[exc2.start]:02x}); save the file as UTF-8",
                data.count(b"\n", 0, exc2.start) + 1,
            ) from exc2
        return decoded, (f"{source}: not UTF-8 (first at line {bad_line}); read as Windows-1252")


def _blocks(content: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    pending_ids: list[str] = []
    pending_tags: list[str] = []
    for number, raw in enumerate(content.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            for kind, value in _META.findall(stripped):
                (pending_ids if kind == "id" else pending_tags).append(value.strip())
            continue
        if not stripped:
            current = None
            continue
        if current is None:
            current = _Block(number, identifiers=pending_ids, tags=pending_tags)
            pending_ids, pending_tags = [], []
            blocks.append(current)
        current.lines.append(raw)
        current.numbers.append(number)
    return blocks


def _second_question(block: _Block) -> int | None:
    """The line where a second question starts inside a block (a blank line forgotten): a
    `::title::` at the start of a later line outside an answer block, or a second answer block
    after the first one closed. Text after the first block is a missing-word question's."""
    depth, answered = 0, False
    for index, (number, raw) in enumerate(zip(block.numbers, block.lines, strict=True)):
        line = _hide(raw)
        if index and not depth and line.lstrip().startswith("::"):
            return number
        for char in line:
            if char == "{":
                if answered and not depth:
                    return number
                depth += 1
            elif char == "}" and depth:
                depth -= 1
                answered = not depth
    return None


def _hide(s: str) -> str:
    for escaped, hidden in _HIDE.items():
        s = s.replace(escaped, hidden)
    return s


def _show(s: str) -> str:
    s = s.replace("\\n", "\n")
    for hidden, char in _SHOW.items():
        s = s.replace(hidden, char)
    return s


def _split_format(s: str, default: str) -> tuple[str, str]:
    match = _FORMAT.match(s)
    if match:
        return match.group(1).lower(), s[match.end() :]
    return default, s


def _plain(s: str, fmt: str) -> str:
    return formats.plain(_show(s), _moodle_format(fmt))


def _moodle_format(fmt: str) -> str:
    return {"moodle": "moodle_auto_format", "plain": "plain_text"}.get(fmt, fmt)


def read(data: bytes, source: str) -> Reading:
    """Every question in a GIFT file."""
    content, note = decode(data, source)
    start = content.lstrip()
    if _XML.match(start):
        raise Unreadable(
            source,
            "an XML file, not GIFT: leave out --format (or give qti3, qti21 or moodle)",
            content.count("\n", 0, len(content) - len(start)) + 1,
        )
    reading = Reading(notes=[note] if note else [])
    category: str | None = None
    for block in _blocks(content):
        first = block.lines[0].strip()
        if first.startswith("$CATEGORY:"):
            category = formats.category_path(first[len("$CATEGORY:") :])
            del block.lines[0], block.numbers[0]  # a question straight after it is read
            if not block.lines:
                continue
            block.line = block.numbers[0]
        raw = "\n".join(block.lines).strip()
        second = _second_question(block)
        if second is not None:
            reading.skipped.append(_merged(raw, block, second, source))
            continue
        result = _question(_hide(raw), block, source)
        if isinstance(result, Skipped):
            reading.skipped.append(result)
        else:
            result.category = category
            reading.questions.append(result)
    return reading


def _merged(raw: str, block: _Block, second: int, source: str) -> Skipped:
    hidden = _hide(raw)
    end = hidden.find("::", 2) if hidden.startswith("::") else -1
    title = text.collapse(_show(hidden[2:end])) if end > 0 else ""
    return Skipped(
        source,
        title or f"question at line {block.line}",
        "malformed",
        f"line {second} starts a second question: two questions without a blank line between "
        "them? Put a blank line after each question",
        block.line,
    )


def _question(s: str, block: _Block, source: str) -> Question | Skipped:
    title = None
    if s.startswith("::"):
        end = s.find("::", 2)
        if end < 0:
            raise Unreadable(source, "a '::' title without its closing '::'", block.line)
        title = text.collapse(_show(s[2:end]))
        s = s[end + 2 :]
    start = s.find("{")
    fmt, _ = _split_format(s, "moodle")
    if start < 0:
        source_id = title or _default_name(_plain(_split_format(s, fmt)[1], fmt))
        return Skipped(
            source, source_id, "description", "no answer block: not a question", block.line
        )
    finish = s.find("}", start)
    if finish < 0:
        raise Unreadable(source, "a '{' without its closing '}'", block.line)
    before, answers, after = s[:start], s[start + 1 : finish], s[finish + 1 :]
    fmt, before = _split_format(before, "moodle")
    stem_markup = before + (f" {BLANK} " + after if after.strip() else "")
    stem = _plain(stem_markup, fmt)
    source_id = title or (block.identifiers[0] if block.identifiers else "") or _default_name(stem)

    def skip(kind: str, reason: str) -> Skipped:
        return Skipped(source, source_id, kind, reason, block.line)

    general = None
    if "####" in answers:
        answers, general = answers.split("####", 1)
    body = answers.strip()
    if not body:
        return skip("essay", OTHER_KINDS["essay"])
    if body.startswith("#"):
        return skip("numerical", OTHER_KINDS["numerical"])
    if _TRUEFALSE.match(body):
        return skip("truefalse", OTHER_KINDS["truefalse"])
    if "=" in body and "->" in body:
        return skip("matching", OTHER_KINDS["matching"])
    if "~" not in body:
        return skip("shortanswer", OTHER_KINDS["shortanswer"])
    if "=" not in body and not re.search(r"~\s*%\d*\.?\d*[1-9]", body):
        return skip(
            "no correct option", "no answer is marked '=' (correct): there is no correct option"
        )
    if "=" not in body:
        return skip("multiple response", "no '=' answer: more than one answer earns credit")
    parts = [p for p in re.split(r"(?=[=~])", body) if p.strip()]
    if not parts or parts[0][0] not in "=~":
        raise Unreadable(source, "an answer block must start with '=' or '~'", block.line)
    choices: list[Choice] = []
    correct: list[int] = []
    texts = [(_show(stem_markup), fmt)]
    for i, part in enumerate(parts):
        marker, rest = part[0], part[1:]
        weight = None
        if match := _WEIGHT.match(rest):
            weight = float(match.group(1))
            rest = rest[match.end() :]
        answer = rest.split("#", 1)[0]
        answer_fmt, answer = _split_format(answer.strip(), fmt)
        texts.append((_show(answer), answer_fmt))
        if marker == "=" and (weight is None or weight >= 100):
            correct.append(i)
        elif weight is not None and weight > 0:
            return skip(
                "partial credit",
                f"an answer worth {weight:g}%: partial credit on a single-answer question",
            )
        choices.append(
            Choice(
                None,
                _plain(answer, answer_fmt),
                formats.rich(_show(answer), _moodle_format(answer_fmt)),
            )
        )
    if not correct:
        return skip("no correct option", "no answer is worth 100%")
    if len(correct) > 1:
        return skip("multichoice", f"{len(correct)} answers marked '='; a single answer has one")
    lost = next(filter(None, (formats.lost(m, _moodle_format(f)) for m, f in texts)), None)
    if any(not c.text for c in choices):
        return skip("multichoice", "an answer has no text")
    if not stem:
        return skip("multichoice", "the question has no text")
    return Question(
        source=source,
        source_id=source_id,
        stem=stem,
        choices=choices,
        key=correct[0],
        stem_html=formats.rich(_show(stem_markup), _moodle_format(fmt)),
        identifiers=[*block.identifiers, *([title] if title else [])],
        tags=list(block.tags),
        feedback=_plain(general, fmt) or None if general is not None else None,
        line=block.line,
        format="gift",
        lost=lost[1] if lost else None,
    )


def _default_name(stem: str) -> str:
    """Moodle names an untitled question after the start of its text."""
    return stem if len(stem) <= 60 else stem[:57].rstrip() + "..."
