"""The Dagster side of Spark through Pipes: the spark-submit command, and the validation a Pipes job sends
back becoming the checks' results.

A small Python job stands in for ``spark-submit`` here (a real Pipes subprocess, no JVM): it echoes
what Pipes handed it and sends a validation; ``integration/test_spark_pipes.py`` runs the real one.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, Failure, asset, materialize

from recomart_assets.defs.quality import spark_pipes
from recomart_assets.defs.quality.checks import dataset_checks
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.quality.engines import spark_job
from recomart_assets.quality.states import read_state
from recomart_assets_tests.fixtures.quality import DAY

pytestmark = pytest.mark.filterwarnings("ignore::dagster.PreviewWarning", "ignore::dagster.BetaWarning")

JOB = textwrap.dedent('''
    import sys
    from dagster_pipes import open_dagster_pipes

    with open_dagster_pipes() as pipes:
        extras = dict(pipes.extras, master=sys.argv[1], small=sys.argv[2], partition=pipes.extras["day"])
        checks = [{"name": "rating: in_range(1, 5)", "severity": "warn", "status": "fail", "failure_count": 7,
                   "samples": ["9"], "sample_rows": [2], "group": "values", "column": "rating"},
                  {"name": "columns present", "severity": "error", "status": "pass", "failure_count": 0,
                   "samples": [], "sample_rows": [], "group": "schema"}]
        validation = {"dataset": extras["dataset"], "partition": pipes.extras["day"], "status": "fail",
                      "row_count": 10, "failed_rows": 7, "checks": checks}
        pipes.log.info("stand-in job ran")
        for _ in range(int(sys.argv[3])):
            pipes.report_custom_message({"%s": validation, "extras": extras})
''' % spark_job.MESSAGE_KEY)


@asset(name="transactions", partitions_def=daily_partitions)
def stand_in() -> None:
    """The raw asset's key and partitions (the fixture wrote the files)."""


@pytest.fixture
def job(tmp_path, monkeypatch):
    """The stand-in job as the command ``validate_on_spark`` runs; ``job.sends`` validations per run."""
    script = tmp_path / "job.py"
    script.write_text(JOB)
    commands = []

    class Job:
        sends = 1

    def command(master, small):
        commands.append((master, small))
        return [sys.executable, str(script), master, str(small), str(Job.sends)]

    monkeypatch.setattr(spark_pipes, "spark_command", command)
    Job.commands = commands
    return Job


def run(zone, **settings):
    return materialize([stand_in, dataset_checks("transactions")], partition_key=DAY, raise_on_error=False,
                       resources={"recomart": RecomartResource(raw_zone=str(zone.root), **settings)})


def test_the_job_s_validation_becomes_the_checks_results(fixture_zone, job):
    result = run(fixture_zone, spark_threshold_bytes=1, spark_master="spark://cluster:7077")
    assert result.success
    assert job.commands == [("spark://cluster:7077", True)]  # a 657-byte day fits one split
    values = {e.check_name: e for e in result.get_asset_check_evaluations()}["values"]
    assert not values.passed and values.severity == AssetCheckSeverity.ERROR
    assert values.metadata["failure_counts"].value == {"rating: in_range(1, 5)": 7}
    assert values.metadata["rows"].value == 10 and values.metadata["failed_rows"].value == 7
    schema = {e.check_name: e for e in result.get_asset_check_evaluations()}["schema"]
    assert schema.passed
    assert read_state(fixture_zone, "transactions", DAY) is None  # the stand-in wrote none: nothing ran in process


def test_what_pipes_hands_the_job(fixture_zone, job, monkeypatch):
    # the stand-in echoes its extras, command line and partition beside the validation: read them back
    messages = []
    client_run = spark_pipes.PipesSubprocessClient.run

    def run_and_keep(self, **kwargs):
        invocation = client_run(self, **kwargs)
        messages.extend(invocation.get_custom_messages())
        return invocation

    monkeypatch.setattr(spark_pipes.PipesSubprocessClient, "run", run_and_keep)
    assert run(fixture_zone, spark_threshold_bytes=1).success
    assert messages[0]["extras"] == {"raw_zone": str(fixture_zone.root), "dataset": "transactions", "day": DAY,
                                     "fail_rate": 0.05, "small_data": True, "master": "local[2]", "small": "True", "partition": DAY}


@pytest.mark.parametrize("sends", [0, 2])
def test_a_job_that_sends_no_validation_or_two_fails_the_checks(fixture_zone, job, sends):
    job.sends = sends
    result = run(fixture_zone, spark_threshold_bytes=1)
    assert not result.success
    assert f"sent {sends} validations, expected 1" in str(result.get_step_failure_events()[0].event_specific_data.error)


def test_below_the_threshold_nothing_is_submitted(fixture_zone, job):
    assert run(fixture_zone, spark_threshold_bytes=10_000).success
    assert job.commands == [] and read_state(fixture_zone, "transactions", DAY).engine == "duckdb"


def test_the_spark_submit_command(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "spark-submit").touch()
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    job_path = str(Path(spark_job.__file__))
    assert spark_pipes.spark_command("yarn", small=False) == [
        str(bin_dir / "spark-submit"), "--master", "yarn", "--name", "recomart-quality",
        "--conf", "spark.log.level=WARN", "--conf", "spark.ui.showConsoleProgress=false", job_path]
    small = spark_pipes.spark_command("local[2]", small=True)
    assert small[-3:] == ["--driver-java-options", spark_pipes.QUICK_JVM, job_path]


def test_without_spark_submit_the_checks_say_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Failure, match=r"spark-submit not found: install the spark extra"):
        spark_pipes.spark_submit()
