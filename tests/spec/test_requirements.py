"""Normative statements of sections 1.8, 2 and 3, with ids that survive re-extraction."""

import random
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.spec.errata import apply_patches, load_errata
from conformance.spec.requirements import clean, extract_requirements, level_of
from conformance.spec.sections import Section, split_sections

ERRATA = Path(__file__).resolve().parents[2] / "specs" / "errata.toml"
FILES = {"ms-wmcsom": "MS-WMCSOM.txt", "ms-spwfcsom": "MS-SPWFCSOM.txt"}


@pytest.fixture(scope="module")
def sections(shared_specs):
    errata = load_errata(ERRATA)
    out = {}
    for protocol, name in FILES.items():
        text, _ = apply_patches((shared_specs / name).read_text(encoding="utf-8"), errata, protocol)
        out[protocol] = split_sections(text)
    return out


@pytest.fixture(scope="module")
def reqs(sections):
    return {p: extract_requirements(p, s) for p, s in sections.items()}


def _find(reqs, statement_part):
    found = [r for r in reqs if statement_part in r.statement]
    assert len(found) == 1, (statement_part, found)
    return found[0]


def test_validate_the_request_is_a_must_of_2_2_1(reqs):
    r = _find(reqs["ms-wmcsom"], "MUST validate the request")
    assert r.level == "MUST" and r.section == "2.2.1"
    assert r.statement == "The protocol server (2) MUST validate the request from the protocol client."


def test_counts_per_level(reqs):
    # read off the texts: every capitalised keyword in 1.8, 2.* and 3.* (grep -nE '\b(MUST|SHOULD|MAY)\b')
    assert Counter(r.level for r in reqs["ms-wmcsom"]) == {"MUST": 2, "SHOULD": 8, "MAY": 1}
    assert Counter(r.level for r in reqs["ms-spwfcsom"]) == {"MUST": 1, "SHOULD": 1}


def test_every_keyword_sentence_of_the_normative_sections_is_found(sections, reqs):
    for protocol, secs in sections.items():
        normative = [
            s for s in secs if s.number == "1.8" or s.number.startswith("1.8.") or s.number[0] in "23"
        ]
        lines = sum(
            len(re.findall(r"\b(?:MUST|SHOULD|MAY)\b(?! NOT)", line)) for s in normative for line in s.lines
        )
        assert lines == len(reqs[protocol]), protocol  # one keyword per sentence in these texts


def test_section_1_8_has_no_keyword_and_nothing_outside_1_8_2_3_is_taken(sections, reqs):
    for protocol, secs in sections.items():
        s18 = next(s for s in secs if s.number == "1.8")
        assert not re.search(r"\b(MUST|SHOULD|MAY)\b", s18.body), protocol
        for r in reqs[protocol]:
            assert r.section.split(".")[0] in ("2", "3"), r
    # the RFC 2119 boilerplate (1.2.x / 1.1) and the appendix product-behaviour note are skipped
    assert not [r for r in reqs["ms-wmcsom"] if "RFC2119" in r.statement or "Unless otherwise" in r.statement]


def test_enum_value_descriptions_count(reqs):
    wm = reqs["ms-wmcsom"]
    assert _find(wm, "The result SHOULD be true.").section == "3.1.5.2.1.2"
    assert _find(wm, "The result SHOULD be false.").section == "3.1.5.2.1.3"
    assert _find(wm, "All criteria SHOULD be true").section == "3.1.5.5.1.2"


def test_statement_is_the_sentence_only_and_cleaned(reqs):
    wm = reqs["ms-wmcsom"]
    # "Specifies the location's parent identifier. MUST return -1 ..." -> the second sentence
    assert _find(wm, "MUST return -1").statement == "MUST return -1 if it has no parent location."
    assert _find(wm, "MAY be used").level == "MAY"
    wf = reqs["ms-spwfcsom"]
    draft = _find(wf, "DraftVersion")
    assert draft.level == "MUST" and draft.section == "3.1.5.1.1.1.14"
    assert draft.statement.startswith(
        "If SaveDefinition (section 3.1.5.8.2.1.6) is called with a WorkflowDefinition"
    )
    for r in (*wm, *wf):
        assert "**" not in r.statement and "](#)" not in r.statement and "  " not in r.statement, r
    assert _find(wf, "empty GUID").statement == (
        "Use an empty GUID to specify events that SHOULD be disabled at the higher web scope."
    )


def test_ids_are_unique_and_prefixed(reqs):
    for protocol, prefix in (("ms-wmcsom", "wm-"), ("ms-spwfcsom", "wf-")):
        ids = [r.id for r in reqs[protocol]]
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(re.escape(prefix) + r"[0-9a-f]{8}(-[0-9a-f]{4})?", i) for i in ids), ids


def test_ids_survive_shuffling_sections(sections, reqs):
    for protocol, secs in sections.items():
        shuffled = list(secs)
        random.Random(7).shuffle(shuffled)
        assert extract_requirements(protocol, shuffled) == reqs[protocol]


def test_ids_survive_a_sentence_added_elsewhere(sections, reqs):
    secs = list(sections["ms-wmcsom"])
    i = next(n for n, s in enumerate(secs) if s.number == "2.1")
    secs[i] = replace(secs[i], lines=(*secs[i].lines, "", "The protocol server MUST also do something new."))
    # and one more sentence inside the very paragraph of an existing requirement
    j = next(n for n, s in enumerate(secs) if s.number == "2.2.1")
    secs[j] = replace(
        secs[j], lines=tuple(line.replace("client.", "client. It MAY log it.", 1) for line in secs[j].lines)
    )
    after = {r.id: r for r in extract_requirements("ms-wmcsom", secs)}
    for r in reqs["ms-wmcsom"]:
        assert after[r.id] == r
    assert len(after) == len(reqs["ms-wmcsom"]) + 2


def test_identical_statements_in_two_sections_get_deterministic_suffixes():
    a = Section("3.1", "A", 1, ("The server MUST answer.",), 2)
    b = Section("3.2", "B", 3, ("The server MUST answer. The server MUST answer.",), 4)
    c = Section("3.3", "C", 5, ("Something else MAY happen.",), 6)
    one = extract_requirements("ms-wmcsom", [a, b, c])
    two = extract_requirements("ms-wmcsom", [c, b, a])
    assert one == two
    answer = [r for r in one if r.statement == "The server MUST answer."]
    assert [r.section for r in answer] == ["3.1", "3.2"]  # twice in 3.2 is one requirement
    assert answer[0].id != answer[1].id and answer[0].id[:11] == answer[1].id[:11]
    assert all(re.fullmatch(r"wm-[0-9a-f]{8}-[0-9a-f]{4}", r.id) for r in answer)
    alone = extract_requirements("ms-wmcsom", [a, c])
    assert re.fullmatch(r"wm-[0-9a-f]{8}", next(r.id for r in alone if r.section == "3.1"))


def test_level_is_the_strongest_keyword_and_only_capitals_count():
    assert level_of("It MAY do A but MUST NOT do B.") == "MUST NOT"
    assert level_of("It SHOULD NOT do A and MUST do B.") == "MUST"
    assert level_of("It SHOULD NOT do A and MAY do B.") == "SHOULD NOT"
    assert level_of("It SHOULD do A and MAY do B.") == "SHOULD"
    assert level_of("It may, must or should do anything.") is None
    assert level_of("MUSTANG and MAYBE are words.") is None


def test_sections_outside_1_8_2_3_are_ignored():
    secs = [
        Section("1.2", "Glossary", 1, ("MUST: a keyword.",), 2),
        Section("4.1", "Example", 3, ("The client MUST send this.",), 4),
        Section("1.8", "Vendor", 5, ("A vendor MAY extend it.",), 6),
    ]
    assert [(r.section, r.level) for r in extract_requirements("ms-spwfcsom", secs)] == [("1.8", "MAY")]


def test_clean_strips_markdown_noise():
    assert clean("as specified in [\\[MS-CSOM\\]](#) section [3.1.5.1](#).") == (
        "as specified in [MS-CSOM] section 3.1.5.1."
    )
    assert clean("the **DraftVersion** of  *@taskKey*\tis") == "the DraftVersion of @taskKey is"
