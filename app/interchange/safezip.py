"""Zip packages from outside: entries checked for path traversal, count and expanded size.

Sizes are counted while reading, never taken from the headers (a zip bomb lies in them), and
reading stops as soon as a limit is passed, so memory and time stay bounded.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass

from app.interchange.model import Unreadable

MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # expanded bytes per compressed byte: beyond this it is a bomb, not a package
CHUNK = 64 * 1024


@dataclass
class Package:
    """The members of a zip, read and checked; names are normalised posix paths."""

    source: str
    files: dict[str, bytes]

    def get(self, name: str) -> bytes | None:
        return self.files.get(name)


def safe_name(name: str) -> str | None:
    """The member's normalised path, or None when it would escape the package's root."""
    if "\x00" in name or "\\" in name:
        return None
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    norm = posixpath.normpath(name)
    if norm == ".." or norm.startswith("../") or norm.startswith("/"):
        return None
    return norm


def read(data: bytes, source: str) -> Package:
    """Every file in the zip, or Unreadable with the reason (never a partial package)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise Unreadable(source, f"not a readable zip file: {exc}") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise Unreadable(source, f"{len(infos)} entries; at most {MAX_ENTRIES} are accepted")
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            name = safe_name(info.filename)
            if name is None:
                raise Unreadable(source, f"entry {info.filename!r} points outside the package")
            if info.flag_bits & 0x1:
                raise Unreadable(source, f"entry {info.filename!r} is encrypted")
            if name in files:
                raise Unreadable(source, f"entry {name!r} appears twice")
            out = bytearray()
            budget = min(MAX_ENTRY_BYTES, MAX_TOTAL_BYTES - total)
            ratio_cap = max(info.compress_size, 1) * MAX_RATIO + 1024 * 1024
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(CHUNK):
                        out += chunk
                        if len(out) > budget:
                            raise Unreadable(
                                source,
                                f"entry {name!r} expands beyond the limit "
                                f"({MAX_ENTRY_BYTES // 2**20} MB an entry, "
                                f"{MAX_TOTAL_BYTES // 2**20} MB in all): refused as a zip bomb",
                            )
                        if len(out) > ratio_cap:
                            raise Unreadable(
                                source,
                                f"entry {name!r} expands more than {MAX_RATIO} times: "
                                "refused as a zip bomb",
                            )
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise Unreadable(source, f"entry {name!r} cannot be read: {exc}") from exc
            total += len(out)
            files[name] = bytes(out)
        return Package(source, files)
