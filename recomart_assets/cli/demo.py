"""``recomart demo``."""

from __future__ import annotations

import click

from recomart_assets.config import Settings
from recomart_assets.platform.demo import run_demo


@click.command("demo")
@click.option("--days", type=click.IntRange(1, 31), default=3, show_default=True, help="Days of sample data.")
@click.option("--dirty-rate", type=click.FloatRange(0.0, 1.0), default=0.02, show_default=True)
@click.option("--events", type=click.IntRange(1), default=30_000, show_default=True, help="Clickstream events.")
def command(days: int, dirty_rate: float, events: int) -> None:
    """Run the whole platform end to end on embedded defaults and print a summary."""
    summary = run_demo(Settings.from_env(), n_days=days, dirty_rate=dirty_rate, events=events, echo=click.echo)
    click.echo("")
    click.echo(f"demo finished in {summary.seconds:.1f}s for partitions {', '.join(summary.days)}")
    for day, run_id in summary.runs.items():
        click.echo(f"  {day}: Dagster run {run_id}")
    for name, count in summary.counts.items():
        click.echo(f"  {name}: {count}")
    for report in summary.reports:
        click.echo(f"  quality report: {report}")
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
