"""Where a webhook may point: never at this machine, the private network or any other address
that is not on the public internet (the service would otherwise be a way into them), unless
EXAMHALL_WEBHOOK_ALLOW_PRIVATE=true.

A name is checked when the webhook is registered and again before every delivery, and the
delivery then connects to the very address that was checked (the URL's host stays in the Host
header and the TLS server name), so a name that resolves elsewhere by the time of sending
(DNS rebinding) cannot reach a private address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
MAX_URL = 2000


class Refused(Exception):
    """The URL may not be used (the message says why, for the caller to show)."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_public(address: IPAddress) -> bool:
    """On the public internet, and so is any IPv4 address it carries (IPv4-mapped, NAT64,
    6to4, Teredo's client: each reaches that address where the network translates it)."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = [address.ipv4_mapped, address.sixtofour]
        if address.teredo:
            carried.append(address.teredo[1])
        if address in _NAT64:
            carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(v4 is not None and not is_public(v4) for v4 in carried):
            return False
        if address.ipv4_mapped is not None:
            return True  # public, as the IPv4 address it maps
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """Where to connect: the URL with its host replaced by the checked address."""

    url: str
    host_header: str
    server_name: str | None  # for TLS: the name the certificate must carry
    address: str


def parse(url: str) -> SplitResult:
    """Check the URL's form: an absolute http(s) URL (RFC 3986) with a host that is an IP
    address or a host name (RFC 1123: letters, digits and hyphens, labels of 1 to 63), a port
    from 1 to 65535 if any, no credentials, no fragment, no space or control character (which
    an HTTP client would quietly drop or encode, sending elsewhere than registered)."""
    if len(url) > MAX_URL:
        raise Refused(f"The URL is longer than {MAX_URL} characters.")
    if _UNSAFE.search(url):
        raise Refused("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # a bracketed host that is no IPv6 address
        raise Refused(f"The URL is not valid: {exc}.") from exc
    try:
        port = parts.port
    except ValueError:
        port = 0
    if parts.scheme not in ("http", "https"):
        raise Refused("The URL must start with https:// or http://.")
    if not host:
        raise Refused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL may not carry a user name or password.")
    if parts.fragment:
        raise Refused("The URL may not have a #fragment.")
    if port == 0:
        raise Refused("The URL's port must be from 1 to 65535.")
    _check_host(host, bracketed="[" in parts.netloc)
    return parts


_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _check_host(host: str, *, bracketed: bool) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if bracketed:  # urlsplit takes [anything-with-colons]
            raise Refused(f"The URL's host [{host}] is not an IPv6 address.") from None
    else:
        if bracketed != (address.version == 6):
            raise Refused("An IPv6 address is written in brackets, and only it.")
        return
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused(f"The URL's host {host[:80]!r} is not a valid host name.") from None
    labels = name.removesuffix(".").split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Refused(
            f"The URL's host {host[:80]!r} is not a valid host name (letters, digits and hyphens, "
            "in labels of 1 to 63 characters separated by dots)."
        )


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def addresses(parts: SplitResult, resolve: Resolver) -> list[IPAddress]:
    host = parts.hostname or ""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = resolve(host, _port(parts))
    except (OSError, UnicodeError) as exc:
        raise Refused(f"The host {host!r} cannot be resolved.") from exc
    if not found:
        raise Refused(f"The host {host!r} cannot be resolved.")
    return [ipaddress.ip_address(a.split("%")[0]) for a in found]


def check(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> str:
    """The URL, when a webhook may be registered at it; else Refused."""
    parts = parse(url)
    if not allow_private:
        _only_public(parts, addresses(parts, resolve))
    return url


def _only_public(parts: SplitResult, found: list[IPAddress]) -> None:
    refused = [a for a in found if not is_public(a)]
    if refused:
        raise Refused(
            f"The host {parts.hostname!r} is or resolves to {refused[0]}, which is not a "
            "public internet address (loopback, private, link-local or reserved)."
        )


def pin(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> Target:
    """Resolve and check the URL's host now, for one delivery, and aim at that address."""
    parts = parse(url)
    found = addresses(parts, resolve)
    if not allow_private:
        _only_public(parts, found)  # every address, so a mixed answer cannot slip one in
    chosen = found[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host = parts.hostname or ""
    is_name = host != str(chosen) and host.strip("[]") != str(chosen)
    host_header = parts.netloc
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=host_header,
        server_name=host if parts.scheme == "https" and is_name else None,
        address=str(chosen),
    )
