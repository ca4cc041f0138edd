"""Writing what `banks import` and `banks export` make: all of it or nothing new left behind,
and one line naming the path and the system's reason when the system refuses."""

from __future__ import annotations

import contextlib
from pathlib import Path

from app.interchange.model import Unwritable


def write_all(out: Path, data: bytes, beside: dict[str, bytes] | None = None) -> None:
    """`out` last and atomically (a .tmp file replaced into place), after the files `beside` it
    (names relative to its folder). On an OSError, the folders and files this call made are
    removed and Unwritable says why. `out`'s folder must exist: a mistyped path is refused, never
    made (as root, `--out /nonexistent/x.zip` made /nonexistent)."""
    if not out.parent.exists():
        raise Unwritable(
            str(out), f"cannot be written: the folder {out.parent} does not exist (make it first)"
        )
    made: list[Path] = []
    tmp = out.with_name(out.name + ".tmp")
    try:
        for name, content in (beside or {}).items():
            target = out.parent / name
            _folders(target.parent, made)
            if not target.exists():
                made.append(target)
            target.write_bytes(content)
        made.append(tmp)
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
        raise Unwritable(str(out), f"cannot be written: {exc.strerror or exc}{where}") from exc


def _folders(folder: Path, made: list[Path]) -> None:
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir()
        made.append(each)
