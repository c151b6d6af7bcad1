"""Safety, checked in the reference server's SQLite database: a read-only run writes nothing; a run
stopped with SIGTERM mid-run still removes every object it created; ``conformance cleanup --run-id``
removes what an aborted run left, and nothing of any other run."""

from __future__ import annotations

import gc
import json
import signal
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.drive.target import Credentials, Target
from conformance.drive.world import create_task, provision, run_pattern
from conformance.model.catalogue import WM, catalogue
from conformance.model.routes import web
from conformance.runner.signals import signals_as_interrupt
from conformance.wire import QuerySpec, RequestBuilder
from tests.run.launch import QUICK, TOKEN, conformance, environment, error_lines, secured_server, start

RUN_ID = "ccrun0"  # the run id of seed 0
RUNNING = (0, 1, 2, 3)  # WorkflowStatus NotStarted, Started, Suspended, Canceling


def _content(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def _live(db: Path, run_id: str) -> list[str]:
    """The run's objects still there: tasks not deleted, workflow definitions, subscriptions, collateral
    files named with the run id, and running workflow instances whose subscription is gone."""
    pattern = run_pattern(run_id)
    with sqlite3.connect(db) as conn:
        named = [
            *(f"task {n}" for (n,) in conn.execute("SELECT name FROM wm_tasks WHERE deleted_at IS NULL")),
            *(f"definition {n}" for (n,) in conn.execute("SELECT display_name FROM wf_definitions")),
            *(f"subscription {n}" for (n,) in conn.execute("SELECT name FROM wf_subscriptions")),
            *(f"collateral {n}" for (n,) in conn.execute("SELECT leaf FROM wf_collateral")),
        ]
        orphans = conn.execute(
            f"SELECT id FROM wf_instances WHERE status IN {RUNNING} "
            "AND subscription_id NOT IN (SELECT id FROM wf_subscriptions)"
        ).fetchall()
    return [what for what in named if pattern.search(what)] + [f"running instance {i}" for (i,) in orphans]


def _warm_up(url: str) -> None:
    """The server seeds a web's and a user's demo data when a request first touches them
    (conformance.server.seed): that request comes before the snapshot, so the comparison sees only
    what the run does."""
    builder = RequestBuilder()
    builder.query(web(builder), QuerySpec.select("Id"))
    builder.construct(catalogue().types[WM + "UserOrderedSessionManager"].type_id)
    with Target(url, credentials=Credentials.bearer(TOKEN)) as target:
        reply = target.process_query(builder.build())
    assert reply.response is not None and reply.response.header.error_info is None


def test_a_read_only_run_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "reference.sqlite"
    with secured_server(db) as server:
        _warm_up(server.url)
        before = _content(db)
        done = conformance(
            *QUICK, "--read-only", "--target", server.url, "--report-dir", "r", cwd=tmp_path,
            env=environment(CONFORMANCE_AUTH="bearer", CONFORMANCE_TOKEN=TOKEN),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
        assert "passed" in done.stdout
        assert _content(db) == before


# one process, and --workers 2: the parent passes the signal on and each worker sweeps its own run id;
# an impatient second signal (Ctrl-C pressed again) cuts none of that short
@pytest.mark.parametrize(
    ("workers", "run_ids", "again"),
    [
        (1, [RUN_ID], None),
        (2, [f"{RUN_ID}s1", f"{RUN_ID}s2"], None),
        (1, [RUN_ID], signal.SIGINT),
        (2, [f"{RUN_ID}s1", f"{RUN_ID}s2"], signal.SIGINT),
    ],
    ids=["in-process", "workers", "in-process-signalled-twice", "workers-signalled-twice"],
)
def test_sigterm_mid_run_still_removes_what_the_run_created(
    tmp_path: Path, workers: int, run_ids: list[str], again: int | None
) -> None:
    db = tmp_path / "reference.sqlite"

    def live() -> list[str]:
        return [name for run_id in run_ids for name in _live(db, run_id)]

    with secured_server(db) as server:
        env = environment(CONFORMANCE_AUTH="bearer", CONFORMANCE_TOKEN=TOKEN)
        run = start(*QUICK, "--target", server.url, "--workers", str(workers), "--report-dir", "r",
                    cwd=tmp_path, env=env)  # fmt: skip
        # mid-run: once the cases have provisioned their world and created objects of their own
        deadline = time.monotonic() + 60
        while len(live()) < 3 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        created = live()
        run.send_signal(signal.SIGTERM)
        if again is not None:
            time.sleep(0.3)  # the clean-up is under way now
            run.send_signal(again)
        stdout, stderr = run.communicate(timeout=120)
        assert len(created) >= 3, created  # the signal came while the run's objects existed
        assert run.returncode == 130, stdout[-2000:] + stderr
        assert "Traceback" not in stdout + stderr
        assert stderr.strip().splitlines()[-1] == (
            "error: interrupted: the cases judged before are in a partial report in "
            f"{'r' if workers == 1 else tmp_path / 'r'}/ (marked so)"
        )
        assert live() == []
        # the user is told what went from the target, by name: the provisioned objects there when the
        # signal came (a case may delete its own objects before it notices the signal: not those)
        said = " ".join(
            line for line in stdout.splitlines() if "conformance: removed from the target" in line
        )
        assert said, stdout[-3000:]
        for thing in created:
            kind, name = thing.split(" ", 1)
            if kind in ("task", "definition", "subscription") and (
                "probe task" in name or " conformance " in name
            ):
                assert f"{kind} " in said and f"'{name}'" in said, (thing, said)
        # and what was judged before is a report, marked interrupted
        judged = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
        assert judged["aborted"] == "interrupted" and judged["verdict"]["exit_code"] == 1
        assert judged["http_requests"] > 0 and judged["answers"]["total"] > 0  # the target's tally too
        assert judged["cases"] and (tmp_path / "r" / "report.html").is_file()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a parent that does not reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_stop_and_clean_up_when_their_parent_is_killed(tmp_path: Path) -> None:
    """SIGKILL of ``conformance run --workers 2`` passes nothing on: the workers notice their parent is
    gone, stop at once (each marks its results interrupted) and remove what they created; none goes
    on sending to the target alone."""
    db = tmp_path / "reference.sqlite"
    run_ids = [f"{RUN_ID}s1", f"{RUN_ID}s2"]
    with secured_server(db) as server:
        env = environment(CONFORMANCE_AUTH="bearer", CONFORMANCE_TOKEN=TOKEN)
        run = start("run", "--profile", "default", "--target", server.url, "--workers", "2",
                    "--report-dir", "r", cwd=tmp_path, env=env)  # fmt: skip
        deadline = time.monotonic() + 60
        while sum(len(_live(db, run_id)) for run_id in run_ids) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        workers = _children(run.pid)
        assert len(workers) == 2 and run.poll() is None
        run.kill()
        run.communicate(timeout=10)
        deadline = time.monotonic() + 30
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_running, workers))
        assert [thing for run_id in run_ids for thing in _live(db, run_id)] == []
        # stopped, not run to their end: what each judged is marked interrupted
        for index in (1, 2):
            shard = tmp_path / "r" / "shards" / str(index) / "results.json"
            if shard.exists():
                assert json.loads(shard.read_text(encoding="utf-8"))["aborted"] == "interrupted"


def test_cleanup_removes_an_aborted_runs_leftovers_and_nothing_else(tmp_path: Path) -> None:
    db = tmp_path / "reference.sqlite"
    spec = catalogue()
    with secured_server(db) as server:
        with Target(server.url, credentials=Credentials.bearer(TOKEN)) as target:
            provision(target, spec, "ccrun7", read_only=False)  # as a run killed with SIGKILL leaves it
            for name in ("ccrun7t3", "ccrun77 another run", "ccrun70", "ccrun7s1 a shard of it",
                         "ccrun7s2 another shard", "ccrun7s21 a third shard"):  # fmt: skip
                assert create_task(target, spec, name)[1] is not None
        left = _live(db, "ccrun7")
        assert {"task ccrun7 probe task", "task ccrun7t3", "definition ccrun7 conformance main workflow",
                "subscription ccrun7 conformance list subscription"} <= set(left)  # fmt: skip
        invoke = ["cleanup", "--target", server.url, "--token-env", "T", "--run-id"]
        # one shard's id: that shard's objects alone
        shard = CliRunner().invoke(main, [*invoke, "ccrun7s2"], env={"T": TOKEN})
        assert shard.exit_code == 0 and len(shard.stdout.splitlines()) == 1
        assert shard.stdout.startswith("removed task") and "'ccrun7s2 another shard'" in shard.stdout
        # the run's id: its objects and every shard's (--workers N names them ccrun<seed>s<i>)
        result = CliRunner().invoke(main, [*invoke, "ccrun7"], env={"T": TOKEN})
        assert result.exit_code == 0, result.output
        removed = result.stdout.splitlines()
        assert "removed task" in removed[0] and any(
            "'ccrun7 conformance main workflow'" in r for r in removed
        )
        for task in ("'ccrun7s1 a shard of it'", "'ccrun7s21 a third shard'"):
            assert any(task in line for line in removed), removed
        # collateral goes with its definition, instances are stopped: neither is an object of its own
        assert len(removed) == 2 + len(
            [w for w in left if w.split()[0] in ("task", "definition", "subscription")]
        )
        assert [*_live(db, "ccrun7"), *_live(db, "ccrun7s1"), *_live(db, "ccrun7s21")] == []
        assert {"task ccrun77 another run"} == set(_live(db, "ccrun77"))
        assert {"task ccrun70"} == set(_live(db, "ccrun70"))
        again = CliRunner().invoke(main, [*invoke, "ccrun7"], env={"T": TOKEN})
        assert again.exit_code == 0 and again.stdout == f"nothing named with ccrun7 on {server.url}\n"


def test_a_run_warns_of_objects_already_named_like_its_own(tmp_path: Path) -> None:
    """Another run with the same seed (or its leftovers) on the target: a warning naming them, before
    any case; a run with another seed, or a read-only one, says nothing."""
    db = tmp_path / "reference.sqlite"
    with secured_server(db) as server:
        with Target(server.url, credentials=Credentials.bearer(TOKEN)) as target:
            provision(target, catalogue(), "ccrun7s2", read_only=False)  # a shard of a run with seed 7
        env = environment(CONFORMANCE_AUTH="bearer", CONFORMANCE_TOKEN=TOKEN)
        said = {}
        for seed, extra in (("7", ()), ("70", ()), ("7", ("--read-only",))):
            done = conformance(*QUICK, "--seed", seed, *extra, "--target", server.url, "-k", "Version",
                               "--report-dir", "r", cwd=tmp_path, env=env)  # fmt: skip
            assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr
            said[(seed, *extra)] = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(said["7",]) == 1 and "ccrun7" in said["7",][0] and "'ccrun7s2 probe task'" in said["7",][0]
    assert "definition" in said["7",][0] and "--seed 7 " in said["7",][0]
    assert said["70",] == said["7", "--read-only"] == []


def test_cleanup_usage_errors(tmp_path: Path) -> None:
    for args, said in (
        (("--run-id", "Approval", "--target", "http://127.0.0.1:9"), "expected ccrun<seed>"),
        (("--run-id", "ccrun1"), "cleanup needs the target"),
    ):
        done = conformance("cleanup", *args, cwd=tmp_path, env=environment())
        assert done.returncode == 2 and said in done.stderr
        assert len([line for line in error_lines(done) if line.startswith("Error")]) == 1
    done = conformance("cleanup", "--run-id", "ccrun1", "--target", "http://127.0.0.1:9", cwd=tmp_path,
                       env=environment(CONFORMANCE_RETRIES="0"))  # fmt: skip
    assert (
        done.returncode == 3
        and error_lines(done) == [done.stderr.strip()]
        and "connection refused" in done.stderr
    )


def _in_gc_callback(send: Callable[[], None]) -> None:
    sent = []

    def callback(phase: str, info: dict[str, int]) -> None:
        # in the collection below only: a collection another thread (a server's, a timer's) started
        # meanwhile runs the callbacks too, and sent the signal a second time now and then
        if phase == "start" and threading.current_thread() is threading.main_thread() and not sent:
            sent.append(True)
            send()

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)


def _in_finalizer(send: Callable[[], None]) -> None:
    class Doomed:
        pass

    doomed = Doomed()
    weakref.finalize(doomed, send)
    del doomed


def _in_del(send: Callable[[], None]) -> None:
    class Doomed:
        def __del__(self) -> None:
            send()

    Doomed()


@pytest.mark.parametrize("place", [_in_gc_callback, _in_finalizer, _in_del], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: signal.Signals(s).name)
def test_a_signal_where_python_drops_exceptions_still_interrupts(
    place: Callable[[Callable[[], None]], None], signum: int
) -> None:
    """Python prints and drops an exception raised in a garbage-collector callback (Hypothesis keeps
    one), a weakref finalizer or a ``__del__``; a SIGTERM or Ctrl-C arriving there still interrupts
    the run, once that code has returned."""
    sent: list[float] = []

    def send() -> None:
        sent.append(time.monotonic())
        signal.raise_signal(signum)  # the handler runs here, before send() returns

    with pytest.raises(KeyboardInterrupt), signals_as_interrupt():
        place(send)
        time.sleep(5)
    assert len(sent) == 1 and time.monotonic() - sent[0] < 4
