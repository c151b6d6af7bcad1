"""Judging one request of the REST calendar (``GET api/Tasks/Calendar``) a client sent: its
parameters against the spec's table (``from`` and ``to`` required, no others), their text, the
``Accept`` header against the content types the spec lists, and credentials (the spec answers 401
without them).

The spec has no numbered sections; its headings are cited as the server cases do (Parameters, Body,
Status Codes). It gives no parameter formats: the text of each is judged at ``should`` against what
the reference server reads (ISO 8601 dates, an integer member id, true or false), an interop
expectation.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from conformance.clientjudge.judgement import Judgement
from conformance.clientjudge.observed import Observed
from conformance.model.calendar_schema import endpoint
from conformance.server.calendar import negotiate

PARAMETERS, BODY, STATUS_CODES = "Parameters", "Body", "Status Codes"
ITEM = "Calendar"
FORMATS = {  # what the reference server reads, by parameter
    "from": re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$"),
    "to": re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$"),
    "member": re.compile(r"^\d{1,18}$"),
    "includeTasks": re.compile(r"^(true|false|1|0)$", re.IGNORECASE),
}


def judge_calendar(request: Observed) -> list[Judgement]:
    spec = endpoint()
    protocol = spec.protocol
    sent = dict(parse_qsl(request.query, keep_blank_values=True))
    found = [
        Judgement(protocol, PARAMETERS, "should", ITEM, "client-parameter-known",
                  ", ".join(f"{name!r} is no parameter of the table" for name in sent
                            if name not in {p.name for p in spec.parameters})),
        Judgement(protocol, BODY, "must", ITEM, "client-accept",
                  "" if negotiate(request.header("accept")) else
                  f"Accept {request.header('accept')!r} names neither {' nor '.join(spec.content_types)}"),
        Judgement(protocol, STATUS_CODES, "must", ITEM, "client-credentials",
                  "" if request.header("authorization") or request.header("cookie") else
                  "no credentials: the spec answers 401 when the access token is not specified"),
    ]  # fmt: skip
    for parameter in spec.parameters:
        item = f"{ITEM}.{parameter.name}"
        value = sent.get(parameter.name)
        if parameter.required:
            missing = "" if value else f"the required parameter {parameter.name!r} is not sent"
            found.append(Judgement(protocol, PARAMETERS, "must", item, "client-parameter-required", missing))
        if value:
            shape = FORMATS.get(parameter.name)
            wrong = f"{value[:40]!r} is not what servers read" if shape and not shape.match(value) else ""
            found.append(Judgement(protocol, PARAMETERS, "should", item, "client-parameter-format", wrong))
    return found
