"""One judgement of one client request: a case's verdict on it (``protocol/item/check``, its section
and level), and where in the request body the problem is."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.case import Level


@dataclass(frozen=True)
class Judgement:
    protocol: str
    section: str
    level: Level
    item: str
    check: str
    problem: str = ""  # why the request fails the check; "" when it passes
    mark: str = ""  # the XPath of the offending element in the request body ("" for the whole request)

    @property
    def id(self) -> str:
        return f"{self.protocol}/{self.item}/{self.check}"

    @property
    def passed(self) -> bool:
        return not self.problem
