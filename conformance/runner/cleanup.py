"""The ``conformance cleanup`` command (registered in conformance/cli.py): remove what an aborted run
left on a target — every task, workflow subscription and definition whose name carries the run id
(conformance.drive.world.sweep), the running instances of those subscriptions stopped first."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from conformance.drive.world import run_pattern, seed_pattern, sweep
from conformance.model.catalogue import catalogue
from conformance.report.verdict import NONCONFORMANT
from conformance.runner.access import AccessError, access
from conformance.runner.command import CONFIG, resolve, target_options
from conformance.runner.invoke import RunError, preflight

# what conformance run names its objects with: ccrun<seed>, and s<shard> for a shard; anything else
# could name objects the suite never made
RUN_ID = re.compile(r"ccrun([0-9]+)(s[0-9]+)?")


@click.command("cleanup")
@CONFIG
@target_options
@click.option(
    "--run-id",
    required=True,
    metavar="ID",
    help="The run whose objects go, as in their names: ccrun<seed> (with every shard's, ccrun<seed>s<i>), "
    "or ccrun<seed>s<i> for one shard's.",
)
def cleanup_command(config_path: Path | None, run_id: str, **target: Any) -> None:
    """Remove the objects a run left on the target (after Ctrl-C, SIGTERM or a crash), and print them.

    Exit codes: 0 nothing of the run is left, 1 something could not be removed, 2 usage or
    configuration error, 3 target unreachable or refusing the credentials."""
    if not (run := RUN_ID.fullmatch(run_id)):
        raise click.UsageError(f"--run-id {run_id!r}: expected ccrun<seed> or ccrun<seed>s<shard>")
    config = resolve(config_path, target)
    if not config.url:
        raise click.UsageError("cleanup needs the target: --target URL (or CONFORMANCE_TARGET, or --config)")
    try:
        way_in = access(config)
        preflight(way_in, csom=True)
    except AccessError as exc:
        raise click.UsageError(str(exc)) from None
    except RunError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    with way_in.target() as client:
        # a whole run's id takes its shards' objects too (--workers N names them ccrun<seed>s<i>)
        done = sweep(client, catalogue(), run_pattern(run_id) if run[2] else seed_pattern(int(run[1])))
    for line in done.removed:
        click.echo(f"removed {line}")
    for line in done.left:
        click.echo(f"could not remove {line}", err=True)
    if not (done.removed or done.left):
        click.echo(f"nothing named with {run_id} on {config.url}")
    sys.exit(NONCONFORMANT if done.left else 0)
