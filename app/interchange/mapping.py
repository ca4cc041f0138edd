"""The mapping file: which source category, tag or identifier belongs to which criterion.

```yaml
unit: D/601/7644                 # optional; when given it must be the --unit of the import
map:
  - category: Default for New Features   # this category and every category below it
    criterion: "01.02"
  - tag: fred
    criterion: "02.01"
  - id: QUE_1_1                  # the question's identifier, idnumber, [id:] or title
    criterion: "03.01"
```
The most specific rule wins: an identifier before a tag before a category, and a deeper
category before the one above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.banks import yamlfile
from app.banks.schemas import REF_PATTERN, URN_PATTERN
from app.interchange.model import Question, Unreadable


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    category: str | None = Field(default=None, min_length=1)
    tag: str | None = Field(default=None, min_length=1)
    id: str | None = Field(default=None, min_length=1)
    criterion: str = Field(pattern=REF_PATTERN)

    @model_validator(mode="after")
    def _one_selector(self) -> Rule:
        if sum(x is not None for x in (self.category, self.tag, self.id)) != 1:
            raise ValueError("each rule names exactly one of category, tag or id")
        return self


class MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str | None = Field(default=None, pattern=URN_PATTERN)
    map: list[Rule] = Field(min_length=1)


@dataclass
class Mapping:
    rules: list[Rule]

    def criterion_for(self, question: Question) -> str | None:
        ids = {question.source_id, *question.identifiers}
        for rule in self.rules:
            if rule.id is not None and rule.id in ids:
                return rule.criterion
        for rule in self.rules:
            if rule.tag is not None and rule.tag in question.tags:
                return rule.criterion
        best: tuple[int, str] | None = None
        category = question.category or ""
        for rule in self.rules:
            if rule.category is None:
                continue
            wanted = rule.category.strip("/")
            if category == wanted or category.startswith(wanted + "/"):
                depth = wanted.count("/")
                if best is None or depth > best[0]:
                    best = (depth, rule.criterion)
        return best[1] if best else None


def load(path: Path, unit: str) -> Mapping:
    """Read and check a mapping file; Unreadable with its line when it is wrong."""
    label = str(path)
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(label, f"cannot be read: {exc}") from exc
    try:
        data, lines, duplicates = yamlfile.load(content)
    except yamlfile.YamlError as exc:
        raise Unreadable(label, f"not valid YAML: {exc.message}", exc.line) from exc
    if duplicates:
        raise Unreadable(label, duplicates[0][1], duplicates[0][0])
    try:
        model = MappingFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        where = ".".join(str(p) for p in loc) or "(file)"
        raise Unreadable(label, f"{where}: {error['msg']}", yamlfile.line_of(lines, loc)) from exc
    if model.unit is not None and model.unit != unit:
        raise Unreadable(
            label,
            f"the mapping is for {model.unit}, not {unit}",
            yamlfile.line_of(lines, ("unit",)),
        )
    return Mapping(model.map)
