"""A few questions to a running Dagster UI, through its GraphQL API.

``recomart dev`` uses it to wait until the code location has loaded (not only until the web
server answers), the browser test and the backfill benchmark use it to launch asset backfills
and follow their runs. The UI itself does the same calls; anything shown here can be done by
hand in the UI.

Launching a run and following its status go through Dagster's own client
(:class:`dagster_graphql.DagsterGraphQLClient`), which tracks the API's changes for us. It has no
call for the rest (whether the code location has loaded, sensor states, partition backfills, a
run's times and tags), so those few queries are written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from recomart_assets.errors import UIError
from recomart_assets.platform.waiting import wait_until

# Backfill states after which nothing more happens.
FINISHED_BACKFILL_STATES = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

_LOCATIONS = """
query { workspaceOrError { __typename
  ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } }
  ... on PythonError { message } } }
"""

_INSTIGATORS = """
query { repositoriesOrError { __typename
  ... on RepositoryConnection { nodes {
    sensors { name sensorState { status } }
    schedules { name scheduleState { status } } } }
  ... on PythonError { message } } }
"""

_LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
  ... on UnauthorizedError { message } ... on PartitionSetNotFoundError { message }
  ... on InvalidStepError { invalidStepKey } ... on InvalidOutputError { invalidOutputName } } }
"""

_BACKFILL = """
query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { status numPartitions }
  ... on PythonError { message } ... on BackfillNotFoundError { message } } }
"""

_REPOSITORIES = """
query { repositoriesOrError { __typename
  ... on RepositoryConnection { nodes { name location { name } } }
  ... on PythonError { message } } }
"""

# The job Dagster builds for materializing any selection of assets (what the UI launches).
IMPLICIT_ASSET_JOB = "__ASSET_JOB"
# Run states after which nothing more happens.
FINISHED_RUN_STATES = {"SUCCESS", "FAILURE", "CANCELED"}

_RUNS = """
query Runs($filter: RunsFilter) { runsOrError(filter: $filter) { __typename
  ... on Runs { results { runId status startTime endTime tags { key value } } }
  ... on PythonError { message } } }
"""


def client_error(exc: DagsterGraphQLClientError) -> str:
    """One line for a client error: its GraphQL type, then its message or validation errors; for a
    request that failed (no answer, a server error) the cause, not the client's text with the query."""
    if exc.__cause__ is not None:
        cause = exc.__cause__
        return f"the Dagster UI did not answer the request: {type(cause).__name__}: {str(cause)[:300]}"
    kind, *details = [*exc.args, *([exc.body] if exc.body is not None else [])] or ["error"]
    parts = []
    for detail in details:
        items = detail if isinstance(detail, list) else [detail]
        parts += [str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in items]
    prefix = "invalid run config" if kind == "RunConfigValidationInvalid" else str(kind)
    return f"{prefix}: {'; '.join(parts)}" if parts else prefix


@dataclass(frozen=True)
class RunInfo:
    """One run as the webserver reports it (times in seconds since the epoch, ``None`` while unknown)."""

    run_id: str
    status: str
    start_time: float | None
    end_time: float | None
    tags: Mapping[str, str]


class DagsterUI:
    """Client for the GraphQL endpoint of a Dagster webserver at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout)
        parts = urlsplit(self.url)
        host = parts.hostname or "127.0.0.1"
        self.client = DagsterGraphQLClient(
            f"[{host}]" if ":" in host else host, port_number=parts.port, use_https=parts.scheme == "https",
            timeout=max(1, round(timeout)), path_prefix=parts.path,
        )

    def close(self) -> None:
        """Closes the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> DagsterUI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of one GraphQL request; GraphQL errors raise :class:`UIError` rather than pass as data."""
        response = self._client.post("/graphql", json={"query": query, "variables": dict(variables or {})})
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise UIError("; ".join(error.get("message", str(error)) for error in body["errors"]))
        return body["data"]

    @staticmethod
    def _expect(result: Mapping[str, Any], typename: str) -> Mapping[str, Any]:
        if result["__typename"] != typename:
            raise UIError(f"{result['__typename']}: {result.get('message', result)}")
        return result

    def location_errors(self) -> dict[str, str | None]:
        """Code location name -> None when loaded, else its load status or error message."""
        workspace = self._expect(self.query(_LOCATIONS)["workspaceOrError"], "Workspace")
        states: dict[str, str | None] = {}
        for entry in workspace["locationEntries"]:
            loaded = entry["locationOrLoadError"]
            if entry["loadStatus"] != "LOADED" or loaded is None:
                states[entry["name"]] = entry["loadStatus"]
            elif loaded["__typename"] == "PythonError":
                states[entry["name"]] = loaded["message"]
            else:
                states[entry["name"]] = None
        return states

    def ready(self) -> bool:
        """True once the server answers and every code location has loaded.

        Raises :class:`UIError` when a code location failed to load (waiting would not help).
        """
        try:
            errors = self.location_errors()
        except (httpx.HTTPError, UIError):
            return False
        failed = {name: error for name, error in errors.items() if error not in (None, "LOADING")}
        if failed:
            raise UIError("; ".join(f"code location {name} failed to load: {e}" for name, e in failed.items()))
        return bool(errors) and not any(errors.values())

    def automation_states(self) -> dict[str, str]:
        """Sensor and schedule name -> ``RUNNING`` or ``STOPPED``."""
        repos = self._expect(self.query(_INSTIGATORS)["repositoriesOrError"], "RepositoryConnection")
        states: dict[str, str] = {}
        for repo in repos["nodes"]:
            states.update({s["name"]: s["sensorState"]["status"] for s in repo["sensors"]})
            states.update({s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]})
        return states

    def launch_asset_backfill(
        self,
        asset_keys: Iterable[str],
        partitions: Iterable[str],
        title: str = "",
        run_config: Mapping[str, Any] | None = None,
    ) -> str:
        """Launch a backfill of ``asset_keys`` (``a/b`` style) over ``partitions``; returns its id.

        The backfill daemon then launches the runs in dependency order, as from the UI's
        "Materialize" dialog; ``run_config`` is each run's config (e.g. resource overrides).
        """
        params: dict[str, Any] = {
            "assetSelection": [{"path": key.split("/")} for key in asset_keys],
            "partitionNames": list(partitions),
            "title": title or None,
        }
        if run_config:
            params["runConfigData"] = dict(run_config)
        result = self.query(_LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        return self._expect(result, "LaunchBackfillSuccess")["backfillId"]

    def launch_asset_run(
        self, asset_keys: Iterable[str], partition: str, run_config: Mapping[str, Any] | None = None
    ) -> str:
        """Launch one run materializing ``asset_keys`` for ``partition`` (as the UI's "Materialize"
        does for a single partition); returns the run id. The run queue starts it."""
        repos = self._expect(self.query(_REPOSITORIES)["repositoriesOrError"], "RepositoryConnection")["nodes"]
        if len(repos) != 1:
            raise UIError(f"expected one code location, found {len(repos)}")
        try:
            return self.client.submit_job_execution(
                IMPLICIT_ASSET_JOB,
                repository_location_name=repos[0]["location"]["name"],
                repository_name=repos[0]["name"],
                run_config=dict(run_config or {}),
                tags={"dagster/partition": partition},
                asset_selection=[key.split("/") for key in asset_keys],
            )
        except DagsterGraphQLClientError as exc:
            raise UIError(client_error(exc)) from exc

    def run_status(self, run_id: str) -> str:
        """The run's status (``QUEUED``, ``STARTED``, ``SUCCESS``, ...)."""
        try:
            return self.client.get_run_status(run_id).value
        except DagsterGraphQLClientError as exc:
            raise UIError(client_error(exc)) from exc

    def wait_for_run(self, run_id: str, timeout: float, poll: float = 0.5) -> RunInfo:
        """Poll until the run has finished; returns it, with its times and tags (TimeoutError if not)."""
        last: list[str] = []

        def finished() -> bool:
            last[:] = [self.run_status(run_id)]
            return last[0] in FINISHED_RUN_STATES

        wait_until(finished, timeout, poll, fail=lambda: UIError(f"run {run_id} still {last[0]} after {timeout:.0f}s"))
        return self.runs(run_ids=[run_id])[0]

    def backfill_status(self, backfill_id: str) -> str:
        """The backfill's status as Dagster names it (``REQUESTED``, ``COMPLETED`` ...)."""
        result = self.query(_BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        return self._expect(result, "PartitionBackfill")["status"]

    def runs(self, tags: Mapping[str, str] | None = None, run_ids: Iterable[str] | None = None) -> list[RunInfo]:
        """The runs with all these tags (and, if given, these ids)."""
        run_filter: dict[str, Any] = {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
        if run_ids is not None:
            run_filter["runIds"] = list(run_ids)
        result = self._expect(self.query(_RUNS, {"filter": run_filter})["runsOrError"], "Runs")
        return [
            RunInfo(
                run["runId"], run["status"], run["startTime"], run["endTime"],
                {tag["key"]: tag["value"] for tag in run["tags"]},
            )
            for run in result["results"]
        ]

    def backfill_runs(self, backfill_id: str) -> list[RunInfo]:
        """The runs a backfill started (Dagster tags them with the backfill id)."""
        return self.runs({"dagster/backfill": backfill_id})

    def wait_for_backfill(self, backfill_id: str, timeout: float, poll: float = 1.0) -> str:
        """Poll until the backfill has finished; returns its final status (TimeoutError if not)."""
        last: list[str] = []

        def finished() -> str | None:
            last[:] = [self.backfill_status(backfill_id)]
            return last[0] if last[0] in FINISHED_BACKFILL_STATES else None

        return wait_until(finished, timeout, poll,
                          fail=lambda: UIError(f"backfill {backfill_id} still {last[0]} after {timeout:.0f}s"))
