"""A lifecycle's steps chained into one ProcessQuery request.

MS-CSOM runs a request's actions in order, so a state machine need not wait for one step's answer
before sending the next: a step writes its calls (each in its own exception scope) into the chain's
request and leaves a judge, run on the answer in the order the steps were taken. The request goes
out (:meth:`Chain.flush`) when a step needs an answer before the machine can go on, when a step
would touch an object a pending step already touches (so a step is judged on the state its own call
left, never on two pending changes to one object, and a refusal never makes a later step fail), or
when the chain holds ``limit`` steps.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from conformance.drive.target import CsomReply, Target
from conformance.wire import RequestBuilder

Judge = Callable[[CsomReply], None]
Step = Callable[[RequestBuilder], Judge]  # writes a step's calls; returns how to judge its answer


@dataclass
class Chain:
    target: Target
    limit: int
    # written last into every request: what is read back once all its steps ran (None: nothing)
    closing: Step | None = None
    builder: RequestBuilder = field(default_factory=RequestBuilder)
    judges: list[Judge] = field(default_factory=list)
    touched: set[Hashable] = field(default_factory=set)

    def settle(self, touches: Iterable[Hashable]) -> None:
        """Send the pending steps if one of them touches one of these objects: a step drawn for an
        object is chosen on the state the earlier steps left it in."""
        if self.touched.intersection(touches):
            self.flush()

    def add(self, step: Step, touches: Iterable[Hashable] = ()) -> None:
        """Chain ``step`` (sending the pending steps first when it touches one of their objects)."""
        touches = set(touches)
        self.settle(touches)
        self.judges.append(step(self.builder))
        self.touched |= touches
        if len(self.judges) >= self.limit:
            self.flush()

    def send(self, step: Step, touches: Iterable[Hashable] = ()) -> None:
        """Chain ``step`` and send: the machine needs its answer (a value the server makes up)."""
        self.add(step, touches)
        self.flush()

    def flush(self, then: Step | None = None) -> None:
        """Send the pending steps in one request, then judge each, in order; ``then``: a last step,
        written after the closing read (and sent even when no step is pending)."""
        if not self.judges and then is None:
            return
        closing = [self.closing] if self.closing and self.judges else []
        judges = [*self.judges, *(step(self.builder) for step in [*closing, *([then] if then else [])])]
        builder, self.builder, self.judges, self.touched = self.builder, RequestBuilder(), [], set()
        reply = self.target.process_query(builder.build())
        for judge in judges:
            judge(reply)
