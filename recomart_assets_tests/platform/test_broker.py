"""The embedded broker: its binary, its command line, and reachability without waiting on a closed port."""

import time

import pytest

from recomart_assets.config import Settings
from recomart_assets.errors import BrokerUnavailable
from recomart_assets.platform.broker import broker_argv, broker_reachable, new_cluster_id, tansu_binary
from recomart_assets.platform.services import port_open, split_host_port


def test_tansu_bin_must_be_executable(tmp_path):
    not_executable = tmp_path / "tansu"
    not_executable.write_text("")
    with pytest.raises(BrokerUnavailable, match="TANSU_BIN=.* is not an executable file"):
        tansu_binary(Settings.from_env({"TANSU_BIN": str(not_executable)}))


def test_every_start_is_a_new_in_memory_cluster():
    assert new_cluster_id() != new_cluster_id()
    argv = broker_argv("tansu", "127.0.0.1", 19092, "c1")
    assert argv[:4] == ["tansu", "broker", "--cluster-id", "c1"] and "tcp://127.0.0.1:19092" in argv
    assert argv[-2:] == ["--storage-engine", "memory://tansu/"]


def test_nothing_listening_on_the_default_address_is_unreachable_at_once():
    settings = Settings.from_env({})
    host, port = split_host_port(settings.kafka_bootstrap_servers, 9092)
    if port_open(host, port):
        pytest.skip("a broker listens on the default address")
    started = time.monotonic()
    assert broker_reachable(settings, timeout=5) is False
    assert time.monotonic() - started < 2  # the port check, not a 5 s metadata request
