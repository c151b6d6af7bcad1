"""What the task lifecycle's draws may depend on: its choices, not what earlier examples did.

Hypothesis replays a choice prefix and expects the same draws from it; a bound that depends on
state carried over from an earlier example makes it raise FlakyStrategyDefinition, and the whole
machine (61 cases) errors. A task's token, in its name, counts on across examples, and a name one
character longer (t9, then t10) changed the bounds of the BeginsWith prefix drawn from it: the
thorough profile's run of seed 3 ended so. A fraction of a second.
"""

from __future__ import annotations

from cases.test_task_lifecycle import STEPS, TaskLane
from conformance.case import PROFILES
from conformance.judge.sites import Verdicts


def test_task_tokens_keep_one_length() -> None:
    run = TaskLane(target=None, run_id="ccrun3", lane=0, verdicts=Verdicts())  # type: ignore[arg-type]
    # the most a lane creates: every example of the thorough profile in one lane, two tasks a step
    tokens = [run.token() for _ in range(PROFILES["thorough"] * STEPS * 2)]
    assert len(set(tokens)) == len(tokens)
    assert {len(token) for token in tokens} == {len(tokens[0])}
