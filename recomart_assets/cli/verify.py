"""``recomart verify [PATH]``."""

from __future__ import annotations

import click
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone, verify_tree


@click.command("verify")
@click.argument("path", required=False)
def command(path: str | None) -> None:
    """Re-check every manifest under the raw zone (or PATH) against its file; exit 1 on any problem.

    Links are reported, never followed; FIFOs, sockets and devices are reported, never opened; one
    run lists every problem of the tree.
    """
    zone = RawZone.from_settings(Settings.from_env())
    root = UPath(path) if path else zone.root
    try:
        result = verify_tree(root)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise click.ClickException(str(exc)) from exc
    for problem in result.problems:
        click.echo(str(problem))
    click.echo(f"verified {result.checked} data files under {root}: {len(result.problems)} problem(s)")
    if not result.ok:
        raise SystemExit(1)
