"""The check a URL typed into a Langflow node passes before any client connects to it.

A node's URL field (the ZeroDB URL, the Pinecone index host) is the flow author's text, and a
node sends the server's own keys there. So such a URL must be `https://` and every address its
host resolves to must be public: loopback, private, link-local (cloud metadata), shared,
reserved and multicast addresses are refused, as Langflow's own SSRF check
(`lfx.utils.ssrf_protection`) refuses them, and IPv6 forms that embed an IPv4 address are
judged by that address. The operator may allow networks of their own
(`MI_NODE_URL_ALLOWED_NETWORKS`, e.g. `127.0.0.0/8` for local stand-ins); a host inside them
may also be reached over plain http. URLs from the operator's settings (`MI_ZERODB_BASE_URL`,
`MI_PINECONE_INDEX_HOST`) are the operator's choice and are not checked here.

The check lives in the core, not in the nodes, because the nodes' files must each run on their
own (a flow embeds one file's source), so a shared check has to be importable, and the core
may not import Langflow: it uses the standard library's `ipaddress`, whose `is_global` follows
IANA's special-purpose registries. A test holds it to Langflow's blocklist.

What is left: a host is resolved here and again by the client that connects (DNS rebinding
between the two is not prevented), as with Langflow's connector check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from marketing_intel.errors import MarketingIntelError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# The setting that allows networks (named in every refusal, so an operator knows the way out).
ALLOW_SETTING = "MI_NODE_URL_ALLOWED_NETWORKS"
# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64, RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# IETF protocol assignments, refused whole as Langflow refuses them (`is_global` holds only
# parts of them non-global).
_PROTOCOL_ASSIGNMENTS = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("2001::/23"))


class NodeURLError(MarketingIntelError, ValueError):
    """A URL typed into a node is not one the server may connect to."""


def checked_node_url(url: str, field: str, allowed: Sequence[IPNetwork] = ()) -> str:
    """`url` (stripped) if a node may connect to it, else a `NodeURLError` naming `field`.

    `allowed`: the operator's networks, whose hosts may be non-public and reached over http.
    """
    url = url.strip()
    parts = urlsplit(url)
    authority = parts.netloc
    if parts.scheme not in ("https", "http") or not parts.hostname or "\\" in authority:
        raise NodeURLError(f"{field} must be an https:// URL with a host name; got {url!r}.")
    addresses = _addresses(parts.hostname, field)
    inside = [address for address in addresses if any(address in net for net in allowed)]
    internal = [address for address in addresses if address not in inside and _internal(address)]
    if internal:
        raise NodeURLError(
            f"{field} {url!r} reaches the non-public address {internal[0]} (loopback, private, "
            "link-local or cloud metadata), which nodes may not use; point it at a public "
            f"host, or have the operator allow that network in {ALLOW_SETTING}."
        )
    if parts.scheme == "http" and len(inside) < len(addresses):
        raise NodeURLError(
            f"{field} must use https:// (plain http is only for hosts in the operator's "
            f"{ALLOW_SETTING}); got {url!r}."
        )
    return url


def allowed_networks(text: str) -> list[IPNetwork]:
    """The networks of a comma-separated list of CIDRs or addresses; a `ValueError` naming
    the entry that is neither."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not a network (e.g. 127.0.0.0/8) or an address"
                ) from None
    return networks


def _addresses(host: str, field: str) -> list[IPAddress]:
    """The host's addresses: itself if it is one, else every address DNS gives for it."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise NodeURLError(
            f"{field}: the host {host!r} could not be resolved ({error}); check its spelling."
        ) from None
    # A scoped IPv6 address ("fe80::1%eth0") is judged without its scope.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def _internal(address: IPAddress) -> bool:
    """Whether `address` is anything but a public unicast address, judging IPv6 forms that
    embed an IPv4 address (mapped, 6to4, NAT64) by that address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(address.packed[12:])
        if embedded is not None:
            return True if address.ipv4_mapped else _internal(embedded)
    return (
        not address.is_global
        or address.is_multicast
        or any(address in network for network in _PROTOCOL_ASSIGNMENTS)
    )


def node_url(value: str | None, field: str) -> str | None:
    """A node's URL input, checked against the current settings' allowed networks; None when
    it is empty (the operator's setting applies then)."""
    if value is None or not str(value).strip():
        return None
    from marketing_intel.config import current_settings  # config imports this module

    return checked_node_url(str(value), field, current_settings().nodes.url_networks)
