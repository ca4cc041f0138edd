"""Find and read the sources named on the command line: files, zip packages, directories.

A QTI content package (imsmanifest.xml, in a zip or a directory) is read through its manifest's
item resources; a QTI test file through its item references; anything else by its content.
Loose files are read only inside the directory they were named from (no `../` escapes).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from app.interchange import gift, moodle, qti, safexml, safezip
from app.interchange.model import Reading, Unreadable

FORMATS = ("auto", "qti3", "qti21", "moodle", "gift")
MAX_SOURCE_BYTES = 100 * 1024 * 1024
ITEM_TYPES = ("imsqti_item_xmlv2p1", "imsqti_item_xmlv2p2", "imsqti_item_xmlv3p0")
GIFT_SUFFIXES = (".gift", ".txt")

Loader = Callable[[str], bytes | None]  # a path inside the source's root, or None if absent


def read_sources(paths: list[Path], fmt: str = "auto") -> Reading:
    """Everything in the sources, or Unreadable for the first that cannot be read or holds no
    question at all (not even one skipped): an empty file, folder or package is not a bank."""
    reading = Reading()
    for path in paths:
        found = read_path(path, fmt)
        if not found.questions and not found.skipped:
            raise Unreadable(
                str(path),
                "no questions found in it: give QTI items or packages, Moodle XML (<quiz>) or "
                "GIFT (.gift, .txt)",
            )
        reading.extend(found)
    return reading


def _read_bytes(path: Path, label: str) -> bytes:
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise Unreadable(label, f"larger than {MAX_SOURCE_BYTES // 2**20} MB")
        return path.read_bytes()
    except OSError as exc:
        raise Unreadable(label, f"cannot be read: {exc.strerror or exc}") from exc


def read_path(path: Path, fmt: str) -> Reading:
    label = str(path)
    if path.is_dir():
        return _read_directory(path, fmt)
    if not path.exists():
        raise Unreadable(label, "no such file or directory")
    data = _read_bytes(path, label)
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() == ".zip":
        package = safezip.read(data, label)
        return _read_tree(label + "!", package.get, sorted(package.files), fmt)
    root = path.parent

    def load(name: str) -> bytes | None:
        return _load_below(root, name)

    return _read_one(label, path.name, data, load, fmt)


def _load_below(root: Path, name: str) -> bytes | None:
    safe = safezip.safe_name(name)
    if safe is None:
        return None
    target = (root / safe).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file():
        return None
    return _read_bytes(target, str(target))


def _read_directory(directory: Path, fmt: str) -> Reading:
    names = sorted(
        str(p.relative_to(directory).as_posix()) for p in directory.rglob("*") if p.is_file()
    )

    def load(name: str) -> bytes | None:
        return _load_below(directory, name)

    return _read_tree(str(directory).rstrip("/") + "/", load, names, fmt)


def _read_tree(prefix: str, load: Loader, names: list[str], fmt: str) -> Reading:
    """A package or directory: through imsmanifest.xml when there is one, else every item."""
    reading = Reading()
    if "imsmanifest.xml" in names:
        manifest = load("imsmanifest.xml") or b""
        root = safexml.parse(manifest, prefix + "imsmanifest.xml")
        hrefs = _manifest_items(root, prefix + "imsmanifest.xml")
        for href, line in hrefs:
            data = load(href)
            if data is None:
                raise Unreadable(
                    prefix + "imsmanifest.xml", f"item {href!r} is not in the package", line
                )
            reading.extend(_read_item_xml(prefix + href, href, data, load, fmt))
        return reading
    for name in names:
        lower = name.lower()
        if lower.endswith(".xml"):
            data = load(name) or b""
            root = safexml.parse(data, prefix + name)
            if qti.is_item(root):
                reading.extend(_read_item_xml(prefix + name, name, data, load, fmt, root))
            elif safexml.local(root) == "quiz":
                reading.extend(_read_one(prefix + name, name, data, load, fmt))
        elif lower.endswith(GIFT_SUFFIXES) and fmt in ("auto", "gift"):
            reading.extend(gift.read(load(name) or b"", prefix + name))
    return reading


def _manifest_items(root: etree._Element, label: str) -> list[tuple[str, int | None]]:
    if safexml.local(root) != "manifest":
        raise Unreadable(label, "imsmanifest.xml does not hold a <manifest>", safexml.line(root))
    out: list[tuple[str, int | None]] = []
    for resources in safexml.children(root, "resources"):
        base = resources.get("{http://www.w3.org/XML/1998/namespace}base") or ""
        for resource in safexml.children(resources, "resource"):
            if (resource.get("type") or "") not in ITEM_TYPES:
                continue
            href = resource.get("href")
            if not href:
                files = safexml.children(resource, "file")
                href = files[0].get("href") if files else None
            if not href:
                raise Unreadable(label, "an item resource without an href", safexml.line(resource))
            rbase = resource.get("{http://www.w3.org/XML/1998/namespace}base") or ""
            joined = safezip.safe_name(posixpath.join(base, rbase, href))
            if joined is None:
                raise Unreadable(
                    label, f"item {href!r} points outside the package", safexml.line(resource)
                )
            out.append((joined, safexml.line(resource)))
    return out


def _read_one(label: str, name: str, data: bytes, load: Loader, fmt: str) -> Reading:
    if fmt == "gift" or (fmt == "auto" and name.lower().endswith(GIFT_SUFFIXES)):
        return gift.read(data, label)
    if fmt == "auto" and not safexml.as_utf8(data).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise Unreadable(label, "not XML, a zip package or a .gift file: use --format")
    root = safexml.parse(data, label)
    kind = safexml.local(root)
    if kind == "quiz":
        if fmt not in ("auto", "moodle"):
            raise Unreadable(label, f"a Moodle XML file, not {fmt}")
        return moodle.read(root, label)
    if fmt == "moodle":
        raise Unreadable(label, f"not a Moodle XML file (<{kind}>)", safexml.line(root))
    if qti.is_item(root):
        return _read_item_xml(label, name, data, load, fmt, root)
    if qti.qnorm(kind) == "assessmenttest":
        return _read_test(label, name, root, load, fmt)
    if kind == "manifest":
        directory = posixpath.dirname(name)
        return _read_tree(
            label[: len(label) - len(name)] + (directory + "/" if directory else ""),
            lambda n: load(posixpath.join(directory, n) if directory else n),
            ["imsmanifest.xml"],
            fmt,
        )
    raise Unreadable(label, f"<{kind}> is not a question format examhall reads", safexml.line(root))


def _read_test(label: str, name: str, root: etree._Element, load: Loader, fmt: str) -> Reading:
    """A QTI assessment test: every item it refers to, each once."""
    reading = Reading()
    directory = posixpath.dirname(name)
    seen: set[str] = set()
    prefix = label[: len(label) - len(name)]
    for ref in root.iter():
        if qti.qnorm(safexml.local(ref)) != "assessmentitemref":
            continue
        href = safezip.safe_name(posixpath.join(directory, ref.get("href") or ""))
        if href is None:
            raise Unreadable(label, f"item {ref.get('href')!r} points outside", safexml.line(ref))
        if href in seen:
            continue
        seen.add(href)
        data = load(href)
        if data is None:
            raise Unreadable(label, f"item {ref.get('href')!r} is not there", safexml.line(ref))
        reading.extend(_read_item_xml(prefix + href, href, data, load, fmt))
    return reading


def _read_item_xml(
    label: str,
    name: str,
    data: bytes,
    load: Loader,
    fmt: str,
    root: etree._Element | None = None,
) -> Reading:
    if root is None:
        root = safexml.parse(data, label)
    if not qti.is_item(root):
        raise Unreadable(label, f"<{safexml.local(root)}> is not a QTI item", safexml.line(root))
    found = qti.version(root)
    if fmt not in ("auto", found):
        raise Unreadable(label, f"a {found} item, not {fmt}", safexml.line(root))
    directory = posixpath.dirname(name)

    def media(src: str) -> bytes | None:
        if "://" in src or src.startswith("data:"):
            return None
        target = safezip.safe_name(posixpath.join(directory, src))
        return load(target) if target else None

    return qti.read_item(root, label, media)
