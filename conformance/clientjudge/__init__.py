"""Judging clients: the requests a CSOM client sends, judged against MS-CSOM and the tables of
MS-WMCSOM and MS-SPWFCSOM while the reference server answers them.

- ``observed``: a request as the server received it, and the ASGI wrapper that hands each one over;
- ``csom``: the judgements of one ProcessQuery request (``judgement``: one of them);
- ``ledger``: the judgements of all requests gathered into cases, and the coverage of the tables;
- ``evidence``: a failing request as a report shows it, redacted, the offending element marked;
- ``serve``: the reference server in judging mode.
"""
