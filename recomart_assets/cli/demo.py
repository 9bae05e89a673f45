"""``recomart demo``."""

from __future__ import annotations

import click

from recomart_assets.config import Settings
from recomart_assets.platform.demo import run_demo
from recomart_assets.platform.incident_demo import DEFAULT_DAYS, run_incident_demo
from recomart_assets.simulate.incidents import KINDS, SOURCES


@click.command("demo")
@click.option("--days", type=click.IntRange(1, 31), default=None,
              help="Days of sample data [default: 3; with --incident 15, the last one the incident's].")
@click.option("--dirty-rate", type=click.FloatRange(0.0, 1.0), default=0.02, show_default=True)
@click.option("--events", type=click.IntRange(1), default=None,
              help="Clickstream events in all [default: 30000; with --incident 5000 a day].")
@click.option("--incident", type=click.Choice(KINDS), default=None,
              help="Normal days, then this incident on the last day; prints what the report flagged (minutes).")
@click.option("--incident-source", type=click.Choice(SOURCES), default="transactions", show_default=True,
              help="The source that stops, for --incident source_stops.")
def command(days: int | None, dirty_rate: float, events: int | None, incident: str | None,
            incident_source: str) -> None:
    """Run the whole platform end to end on embedded defaults and print a summary."""
    if incident:
        report_incident_demo(incident, days or DEFAULT_DAYS, dirty_rate, events, incident_source)
        return
    summary = run_demo(Settings.from_env(), n_days=days or 3, dirty_rate=dirty_rate, events=events or 30_000,
                       echo=click.echo)
    click.echo("")
    click.echo(f"demo finished in {summary.seconds:.1f}s for partitions {', '.join(summary.days)}")
    for day, run_id in summary.runs.items():
        click.echo(f"  {day}: Dagster run {run_id}")
    for name, count in summary.counts.items():
        click.echo(f"  {name}: {count}")
    for report in summary.reports:
        click.echo(f"  quality report: {report}")
    for report in summary.html_reports:
        click.echo(f"  quality report (HTML): {report}")
    if summary.index:
        click.echo(f"  every reported day: {summary.index}")
    if summary.scorecard_skipped:
        click.echo(f"  defect scorecard skipped: {summary.scorecard_skipped}")
    else:
        click.echo("  transaction defects injected by the simulator vs found:")
    for row in summary.scorecard:
        mark = "ok" if row.ok else "MISMATCH"
        click.echo(f"    {row.defect:<45} injected {row.injected:>5}  found {row.found:>5}  ({row.where}) {mark}")
    verdict = "ok" if summary.verify.ok else f"{len(summary.verify.problems)} problem(s)"
    click.echo(f"  verify: {summary.verify.checked} data files, {verdict}")
    if not summary.verify.ok:
        for problem in summary.verify.problems:
            click.echo(f"    {problem}")
        raise SystemExit(1)


def report_incident_demo(kind: str, days: int, dirty_rate: float, events: int | None, source: str) -> None:
    """``--incident``: what the report of each day flagged; exit 1 unless only the incident day did."""
    if days < 9:
        raise click.BadParameter("the anomaly detection needs 7 earlier days: use --days 9 or more", param_hint="--days")
    per_day = {"events_per_day": events // days} if events else {}
    demo = run_incident_demo(Settings.from_env(), kind, days, dirty_rate, echo=click.echo, source=source, **per_day)
    click.echo("")
    click.echo(f"incident demo finished in {demo.seconds:.1f}s: {demo.incident.describe()}")
    click.echo(f"  normal days: {demo.normal_days_flagged} finding(s) warned")
    click.echo(f"  {demo.days[-1]} (incident day) flagged:")
    for line in demo.flagged[demo.days[-1]] or ["nothing"]:
        click.echo(f"    {line}")
    click.echo(f"  quality report: {demo.report}")
    click.echo(f"  quality report (HTML): {demo.html_report}")
    if demo.normal_days_flagged or not demo.flagged[demo.days[-1]]:
        raise SystemExit(1)
