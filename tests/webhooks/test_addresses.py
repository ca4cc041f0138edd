"""Webhook URLs: never this machine or a private network, checked again at every delivery."""

from __future__ import annotations

import pytest

from app.webhooks import addresses


def resolver(*found: str) -> addresses.Resolver:
    return lambda host, port: list(found)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://127.8.9.10:8080/x",
        "http://10.0.0.5/x",
        "http://172.16.3.4/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata: link-local
        "http://100.64.0.1/x",  # shared address space (carrier-grade NAT)
        "http://0.0.0.0/x",
        "http://240.0.0.1/x",  # reserved
        "http://224.0.0.1/x",  # multicast
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[fc00::1]/x",
        "http://[::ffff:127.0.0.1]/x",  # IPv4-mapped loopback
        "http://[::ffff:10.1.2.3]/x",
        "http://192.0.2.10/x",  # documentation range (TEST-NET-1)
        "http://[64:ff9b::7f00:1]/x",  # NAT64 (RFC 6052) carrying 127.0.0.1
        "http://[64:ff9b::a01:203]/x",  # ... carrying 10.1.2.3
        "http://[2002:7f00:1::]/x",  # 6to4 carrying 127.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x",  # Teredo, client 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(addresses.Refused, match="not a public internet address"):
        addresses.check(url, allow_private=False)
    assert addresses.check(url, allow_private=True) == url


def test_names_are_refused_when_they_resolve_to_a_private_address() -> None:
    with pytest.raises(addresses.Refused, match=r"10\.0\.0\.7"):
        addresses.check(
            "https://hooks.example.org/x", allow_private=False, resolve=resolver("10.0.0.7")
        )
    # one private address among public ones is enough to refuse
    with pytest.raises(addresses.Refused):
        addresses.check(
            "https://hooks.example.org/x",
            allow_private=False,
            resolve=resolver("93.184.215.14", "127.0.0.1"),
        )
    assert addresses.check(
        "https://hooks.example.org/x", allow_private=False, resolve=resolver("93.184.215.14")
    )


def test_localhost_is_refused_by_the_system_resolver() -> None:
    with pytest.raises(addresses.Refused):
        addresses.check("http://localhost:8000/x", allow_private=False)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(addresses.Refused, match="cannot be resolved"):
        addresses.check("https://nowhere.example/x", allow_private=False, resolve=fails)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://93.184.215.14/x", "https:// or http://"),
        ("file:///etc/passwd", "https:// or http://"),
        ("http:///x", "no host"),
        ("https://user:pw@93.184.215.14/x", "user name or password"),
        ("https://93.184.215.14/x#frag", "fragment"),
        ("https://93.184.215.14:99999/x", "port"),
        ("https://93.184.215.14/" + "x" * 2000, "longer"),
        # each was registered, then sent elsewhere than written (or a 500)
        ("http://[::1/x", "not valid"),
        ("http://[::zz]/", "not valid"),
        ("http://[127.0.0.1]/", "not valid"),
        ("http://127.0.0.1:8773/ok\r\nX-Evil: 1", "spaces or control characters"),
        ("http://127.0.0.1:8773/a\tb", "spaces or control characters"),
        ("http://127.0.0.1:8773/a b", "spaces or control characters"),
        (" http://127.0.0.1:8773/ok ", "spaces or control characters"),
        ("http://127.0.0.1:0/ok", "from 1 to 65535"),
        ("http://a..b/x", "not a valid host name"),
        ("http://a_b.example/x", "not a valid host name"),
        ("http://-a.example/x", "not a valid host name"),
        ("http://" + "a" * 64 + ".example/x", "not a valid host name"),
        ("http://" + "a." * 130 + "example/x", "not a valid host name"),
    ],
)
def test_malformed_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(addresses.Refused, match=why):
        addresses.check(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org:8443/in?x=1",
        "http://example.com./x",  # a fully qualified name
        "http://example.com:/x",  # an empty port is the default (RFC 3986, 3.2.3)
        "https://bücher.example/x",  # an internationalised name (IDNA)
        "http://[2606:4700::1111]/x",
        "http://[64:ff9b::808:808]/x",  # NAT64 carrying a public address
        "http://93.184.215.14/x",
    ],
)
def test_well_formed_urls_are_kept_as_written(url: str) -> None:
    assert addresses.check(url, allow_private=False, resolve=resolver("93.184.215.14")) == url


def test_a_delivery_connects_to_the_address_it_checked() -> None:
    target = addresses.pin(
        "https://hooks.example.org:8443/in?x=1",
        allow_private=False,
        resolve=resolver("93.184.215.14"),
    )
    assert target.url == "https://93.184.215.14:8443/in?x=1"
    assert target.host_header == "hooks.example.org:8443"
    assert target.server_name == "hooks.example.org"  # the certificate is checked for the name
    v6 = addresses.pin("http://h.example/", allow_private=False, resolve=resolver("2606:2800::1"))
    assert v6.url == "http://[2606:2800::1]/" and v6.server_name is None


def test_dns_rebinding_is_caught_at_delivery() -> None:
    """Public when registered, private when sent: the delivery is refused, not sent."""
    url = "https://hooks.example.org/in"
    assert addresses.check(url, allow_private=False, resolve=resolver("93.184.215.14"))
    with pytest.raises(addresses.Refused, match=r"169\.254\.169\.254"):
        addresses.pin(url, allow_private=False, resolve=resolver("169.254.169.254"))
