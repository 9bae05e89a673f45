"""The GraphQL client's waits: return the finished run or backfill, or fail naming its last status."""

import pytest

from recomart_assets.errors import UIError
from recomart_assets.platform.graphql import DagsterUI, RunInfo


class ScriptedUI(DagsterUI):
    """A client whose run and backfill statuses come from a script instead of a webserver."""

    def __init__(self, statuses):
        super().__init__("http://127.0.0.1:9")
        self.statuses = iter(statuses)

    def run_status(self, run_id):
        self.last = next(self.statuses)
        return self.last

    def runs(self, tags=None, run_ids=None):
        return [RunInfo(run_ids[0], self.last, None, None, {})]

    def backfill_status(self, backfill_id):
        return next(self.statuses)


def test_wait_for_run_returns_the_finished_run():
    ui = ScriptedUI(["STARTED", "STARTED", "SUCCESS"])
    assert ui.wait_for_run("r1", timeout=5, poll=0).status == "SUCCESS"


def test_wait_for_run_fails_naming_the_last_status():
    ui = ScriptedUI(["STARTED"] * 1000)
    with pytest.raises(UIError, match="run r1 still STARTED after 0s"):
        ui.wait_for_run("r1", timeout=0.05, poll=0.001)


def test_wait_for_backfill_returns_its_final_status():
    ui = ScriptedUI(["REQUESTED", "COMPLETED_SUCCESS"])
    assert ui.wait_for_backfill("b1", timeout=5, poll=0) == "COMPLETED_SUCCESS"
    with pytest.raises(UIError, match="backfill b2 still REQUESTED"):
        ScriptedUI(["REQUESTED"] * 1000).wait_for_backfill("b2", timeout=0.05, poll=0.001)


def test_client_errors_read_as_one_line():
    from dagster_graphql import DagsterGraphQLClientError

    from recomart_assets.platform.graphql import client_error

    invalid = DagsterGraphQLClientError("RunConfigValidationInvalid", [{"message": "bad a"}, {"message": "bad b"}])
    assert client_error(invalid) == "invalid run config: bad a; bad b"
    assert client_error(DagsterGraphQLClientError("PythonError", "boom")) == "PythonError: boom"
    assert client_error(DagsterGraphQLClientError("RunNotFoundError")) == "RunNotFoundError"


def test_the_client_points_at_the_ui_address():
    ui = DagsterUI("http://127.0.0.1:3456")
    assert ui.client._url == "http://127.0.0.1:3456/graphql"
    assert DagsterUI("http://[::1]:3000/").client._url == "http://[::1]:3000/graphql"


def test_run_status_of_an_unreachable_ui_is_a_ui_error():
    with pytest.raises(UIError, match="did not answer the request: .*Connection refused"):
        DagsterUI("http://127.0.0.1:9", timeout=2).run_status("r1")
