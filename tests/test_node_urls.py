"""URLs typed into nodes: https only, public addresses only, unless the operator allows a
network (`MI_NODE_URL_ALLOWED_NETWORKS`); the operator's own settings are trusted.

The check is held to Langflow's own SSRF blocklist (`lfx.utils.ssrf_protection`). The node tests
point real nodes at a real listener on 127.0.0.1 (`tests/recording_listener.py`) that must
receive nothing, and at the ZeroDB stand-in through the operator's setting.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

import pytest
from lfx.schema.message import Message
from lfx.utils.ssrf_protection import get_blocked_ip_ranges, is_ip_blocked

from components.marketing_intel.brand_voice import BrandVoiceSearchComponent
from components.marketing_intel.zerodb_memory import ZeroDBMemoryStoreComponent
from marketing_intel.config import ConfigError, load_settings
from marketing_intel.node_urls import NodeURLError, _internal, checked_node_url
from tests.recording_listener import RecordingListener
from tests.zerodb_standin import API_KEY, PROJECT_ID, StandInZeroDB

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("http://127.0.0.1", "non-public address 127.0.0.1"),
        ("http://169.254.169.254", "non-public address 169.254.169.254"),
        ("http://1.1.1.1", "must use https://"),
        ("https://127.0.0.1:8443/api", "non-public address 127.0.0.1"),
        ("https://localhost", "non-public address"),
        ("https://10.1.2.3", "non-public address 10.1.2.3"),
        ("https://[::1]", "non-public address ::1"),
        ("https://[::ffff:127.0.0.1]", "non-public address"),
        ("https://[2002:a9fe:a9fe::1]", "non-public address"),  # 6to4 of 169.254.169.254
        ("https://[64:ff9b::7f00:1]", "non-public address"),  # NAT64 of 127.0.0.1
        ("https://100.64.0.1", "non-public address"),
        ("https://224.0.0.1", "non-public address"),
        ("ftp://1.1.1.1", "must be an https:// URL"),
        ("1.1.1.1:443", "must be an https:// URL"),
        ("https://1.1.1.1\\@127.0.0.1", "must be an https:// URL"),
    ],
)
def test_without_an_allowed_network_only_public_https_passes(url: str, refusal: str) -> None:
    with pytest.raises(NodeURLError, match="ZeroDB URL") as error:
        checked_node_url(url, "ZeroDB URL")
    assert refusal in str(error.value)
    assert len(str(error.value).splitlines()) == 1


def test_public_https_passes_and_allowed_networks_pass_over_http() -> None:
    assert checked_node_url(" https://1.1.1.1/api ", "ZeroDB URL") == "https://1.1.1.1/api"
    assert checked_node_url("https://[2606:4700:4700::1111]", "x") == (
        "https://[2606:4700:4700::1111]"
    )
    assert checked_node_url("http://127.0.0.1:8080", "x", LOOPBACK) == "http://127.0.0.1:8080"
    assert checked_node_url("http://localhost:8080", "x", LOOPBACK) == "http://localhost:8080"
    # An allowed network opens only itself: metadata and public http stay refused.
    with pytest.raises(NodeURLError, match=r"169\.254\.169\.254"):
        checked_node_url("http://169.254.169.254", "x", LOOPBACK)
    with pytest.raises(NodeURLError, match="must use https"):
        checked_node_url("http://1.1.1.1", "x", LOOPBACK)


def probes(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[Any]:
    """The first and the last address of `network` and 200 seeded random ones in it."""
    draw = random.Random(str(network))
    inside = [network[draw.randrange(network.num_addresses)] for _ in range(200)]
    return [network[0], *inside, network[-1]]


def test_every_address_langflows_ssrf_check_blocks_is_refused_and_public_ones_pass() -> None:
    """Held to lfx's own blocklist: nothing it blocks gets through here (this check may be
    stricter, never laxer), and the public addresses it lets through pass here too."""
    blocked = [address for network in get_blocked_ip_ranges() for address in probes(network)]
    assert all(is_ip_blocked(address) for address in blocked)
    assert [address for address in blocked if not _internal(address)] == []
    public = ["1.1.1.1", "8.8.8.8", "151.101.1.69", "2606:4700:4700::1111", "2a00:1450::1"]
    public_addresses = [ipaddress.ip_address(address) for address in public]
    assert not any(is_ip_blocked(address) for address in public_addresses)
    assert not any(_internal(address) for address in public_addresses)


def test_a_bad_allowed_network_stops_the_settings_with_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MI_NODE_URL_ALLOWED_NETWORKS", "127.0.0.0/8, intranet")
    with pytest.raises(ConfigError, match=r"MI_NODE_URL_ALLOWED_NETWORKS.*'intranet'"):
        load_settings()


def test_a_node_url_to_loopback_reaches_nothing_unless_the_operator_allows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The memory node and the brand-voice node refuse the listener's URL before connecting."""
    monkeypatch.delenv("MI_NODE_URL_ALLOWED_NETWORKS")
    with RecordingListener().running() as listener:
        memory = ZeroDBMemoryStoreComponent()
        memory.set(
            tenant_id="acme",
            value=Message(text="remember this"),
            engine="ZeroDB",
            api_key="server-key",
            project_id="p",
            base_url=listener.url,
        )
        with pytest.raises(ValueError, match=r"ZeroDB URL .* non-public address 127\.0\.0\.1"):
            memory.store_memories()
        brand = BrandVoiceSearchComponent()
        brand.set(
            tenant_id="acme",
            brand="main",
            draft="Hello",
            backend="Pinecone",
            pinecone_api_key="server-key",
            pinecone_index_host=listener.url,
        )
        with pytest.raises(ValueError, match=r"Pinecone Index Host .* non-public address"):
            brand.score_draft()
    assert listener.received == []


def test_the_operators_own_url_setting_is_trusted(
    monkeypatch: pytest.MonkeyPatch, zerodb_server: StandInZeroDB
) -> None:
    """MI_ZERODB_BASE_URL on loopback over http, with no network allowed: the operator's
    choice, used as it is."""
    monkeypatch.delenv("MI_NODE_URL_ALLOWED_NETWORKS")
    monkeypatch.setenv("MI_ZERODB_BASE_URL", zerodb_server.url)
    memory = ZeroDBMemoryStoreComponent()
    memory.set(
        tenant_id="acme", value=Message(text="remember this"), engine="ZeroDB", api_key=API_KEY,
        project_id=PROJECT_ID,
    )  # fmt: skip
    assert len(memory.store_memories()) == 1
