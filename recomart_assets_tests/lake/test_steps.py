"""The protocol-step hook: a no-op normally, a SIGKILL at the chosen step and count under the harness."""

from __future__ import annotations

import errno
import sys

import pytest

from recomart_assets.config import kill_at
from recomart_assets.errors import ConfigError
from recomart_assets.lake import steps
from recomart_assets_tests.fixtures.crash import fill, run, run_killed_at, small_disk

_WRITER = """
import errno
import sys
from recomart_assets.lake import steps
steps.declare("demo.written", "demo.published")
for i in range(3):
    steps.reached("demo.written")
    print("written", i, flush=True)
steps.reached("demo.published")
print("published", flush=True)
"""


def test_kill_at_parses_step_and_count():
    assert kill_at({}) is None
    assert kill_at({"RECOMART_KILL_AT": "consumer.renamed"}) == ("consumer.renamed", 1)
    assert kill_at({"RECOMART_KILL_AT": "a.b:3"}) == ("a.b", 3)
    for bad in ("a.b:0", "a.b:x", ":2"):
        with pytest.raises(ConfigError, match="RECOMART_KILL_AT"):
            kill_at({"RECOMART_KILL_AT": bad})


def test_an_undeclared_step_is_a_programming_error():
    with pytest.raises(KeyError, match="undeclared"):
        steps.reached("nobody.nothing")


def test_the_writer_dies_exactly_at_the_nth_time_it_reaches_the_step(monkeypatch):
    steps.declare("demo.written", "demo.published")  # the harness checks names against the registry
    env = {"PATH": "", "PYTHONPATH": ":".join(sys.path)}
    argv = [sys.executable, "-c", _WRITER]
    second = run_killed_at(argv, env, "demo.written", nth=2)
    assert second.killed and second.stdout.split("\n")[:-1] == ["written 0"]
    never = run_killed_at(argv, env, "demo.written", nth=4)
    assert not never.killed and never.stdout.endswith("published\n")
    assert run(argv, env).returncode == 0


def test_small_disk_fills_up_and_frees(tmp_path):
    with small_disk(tmp_path, 1 << 20) as disk:
        filler = fill(disk)
        with pytest.raises(OSError) as raised:
            (disk / "more").write_bytes(b"x" * 65536)
        assert raised.value.errno == errno.ENOSPC
        filler.unlink()
        (disk / "more").write_bytes(b"x" * 65536)
