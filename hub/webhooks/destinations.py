"""Where the hub may POST webhooks: the URL rules and the address check (no SSRF).

A destination is an ``https`` URL (``http`` only with ``webhook_allow_http``) without
credentials, and every address its host resolves to must be a public one: loopback,
private, link-local, multicast, unspecified, reserved and every other non-global range
are refused unless a network of ``webhook_allowed_networks`` holds the address. Numeric
hosts in any form the C library accepts (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) are
read as the address they name, IPv4-mapped IPv6 as its IPv4 address.

The check runs at registration and again before every delivery attempt, after the host
is resolved; the deliverer then connects to the address that passed (see
:class:`Destination`), so a name that resolves differently a moment later (DNS
rebinding) cannot move a delivery onto an internal address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Union
from urllib.parse import urlsplit

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
#: ``socket.getaddrinfo``'s shape: tests hand in a fake resolver.
Resolver = Callable[..., list[tuple[Any, ...]]]
MAX_URL = 2000
_NUMERIC = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)


class DestinationError(ValueError):
    """A URL the hub will not POST to; the message says why, for the partner."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: connect to ``address``; send ``host_header``; verify TLS for ``host``."""

    scheme: str
    host: str
    port: int
    target: str
    host_header: str
    address: IPAddress


def networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The ``webhook_allowed_networks`` setting, parsed (``ValueError`` names a bad entry)."""
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"webhook_allowed_networks: {entry!r} is not an IP network such as 127.0.0.1/32 or 10.20.0.0/16"
            ) from None
    return tuple(out)


def check_url(url: str, allow_http: bool) -> None:
    """The URL rules that need no resolution (scheme, credentials, host, port, length)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise DestinationError(f"url must be an https URL of at most {MAX_URL:,} characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise DestinationError(f"url is not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        raise DestinationError(
            "url must be an https URL"
            + (" or an http URL" if allow_http else " (http is allowed only by the hub's webhook_allow_http setting)")
        )
    if "@" in parts.netloc:
        raise DestinationError(
            "url must not carry credentials (user:password@): authenticate deliveries by their signature"
        )
    if not parts.hostname:
        raise DestinationError("url has no host")
    try:
        _ = parts.port  # reading it checks it
    except ValueError:
        raise DestinationError("url has an invalid port") from None
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise DestinationError("url must not contain spaces or control characters")


def literal(host: str) -> IPAddress | None:
    """The address a numeric host names, in any form the C library reads; else None."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def refusal(address: IPAddress, allowed: tuple[IPNetwork, ...]) -> str | None:
    """Why an address may not be posted to, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in allowed):
        return None
    for flag, what in (
        ("is_loopback", "loopback"),
        ("is_unspecified", "unspecified"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, flag):
            return what
    if not address.is_global:
        return "not public"
    return None


def resolve(
    url: str, allow_http: bool, allowed: tuple[IPNetwork, ...], resolver: Resolver | None = None
) -> Destination:
    """Check ``url`` and every address of its host (``resolver`` defaults to the system's
    ``getaddrinfo``); the destination to connect to."""
    check_url(url, allow_http)
    parts = urlsplit(url)
    host = parts.hostname or ""
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    found = literal(host)
    if found is not None:
        addresses = [found]
    else:
        try:
            infos = (resolver or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise DestinationError(f"url's host {host} cannot be resolved ({exc})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses:
            raise DestinationError(f"url's host {host} has no address")
    for address in addresses:
        why = refusal(address, allowed)
        if why:
            raise DestinationError(
                f"url's host {host} is (or resolves to) a {why} address, {address}; "
                "the hub posts only to public addresses (an operator can allow "
                "networks with webhook_allowed_networks)"
            )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(
        scheme=scheme, host=host, port=port, target=target, host_header=parts.netloc, address=addresses[0]
    )
