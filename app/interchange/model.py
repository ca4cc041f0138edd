"""What a reader makes of a source: importable questions and questions it skips, with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import Invalid


class Unreadable(Invalid):
    """A source that cannot be read at all: nothing is written. Names the file and the line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.message = source, line, message


class Unwritable(Invalid):
    """An output that cannot be written (a folder that is a file, no permission...): nothing new
    is left behind. Names the path and the system's reason."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.source, self.line, self.message = path, None, message


@dataclass(frozen=True)
class Media:
    """A picture a question shows: its bytes, its name in the source, and its alt text."""

    name: str
    data: bytes
    alt: str | None


@dataclass
class Choice:
    source_id: str | None  # the option's identifier in the source (QTI), None where there is none
    text: str  # plain text
    html: str | None = None  # sanitised rich text, when the source had markup worth keeping


@dataclass
class Question:
    """A single-answer multiple-choice question, read faithfully from its source."""

    source: str
    source_id: str
    stem: str  # plain text
    choices: list[Choice]
    key: int  # index into choices of the option the source marks correct
    stem_html: str | None = None  # sanitised rich text (the safe subset)
    media: list[Media] = field(default_factory=list)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)  # idnumber, [id:], item identifier
    feedback: str | None = None  # general feedback, plain text (kept as a draft rationale)
    line: int | None = None
    format: str = ""  # qti3, qti21, moodle or gift
    label: str | None = None  # QTI's item label (an examhall export writes the criterion there)
    # what the source held that a bank item cannot (maths, sound, video...): the question is
    # imported without it, as every single-answer question is (CONTRACT), and stderr says so
    lost: str | None = None


@dataclass(frozen=True)
class Skipped:
    source: str
    source_id: str
    kind: str
    reason: str
    line: int | None = None


@dataclass
class Reading:
    questions: list[Question] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. an encoding that was detected

    def extend(self, other: Reading) -> None:
        self.questions.extend(other.questions)
        self.skipped.extend(other.skipped)
        self.notes.extend(other.notes)
