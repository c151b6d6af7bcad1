from conformance.spec.sections import split_sections, table_of_contents

TEXT = """\
Title

Table of Contents

1 Introduction\t3
1.1 Glossary\t3
2 Messages\t4
2.1

Transport Name That Wraps\t4

1 Introduction

Intro text.
1 numbered line inside the intro that is not a heading

1.1 Glossary

Words.

2 Messages

2.1

A Heading On Its Own Line

Body of 2.1.
3 not a heading: 3 does not follow 2.1 here? it does (sibling of 2)
"""


def test_split_sections_follows_the_outline_only():
    sections = split_sections(TEXT)
    numbers = [s.number for s in sections]
    # "1 numbered line" repeats 1 and is not a heading; "3 ..." continues the outline and is one
    assert numbers == ["1", "1.1", "2", "2.1", "3"]
    by = {s.number: s for s in sections}
    assert by["2.1"].title == "A Heading On Its Own Line"
    assert "Body of 2.1." in by["2.1"].body
    assert "1 numbered line inside the intro that is not a heading" in by["1"].body


def test_section_ranges_cover_subsections():
    lines = TEXT.splitlines()
    by = {s.number: s for s in split_sections(TEXT)}
    chunk = lines[by["2"].first_line - 1 : by["2"].end_line - 1]
    assert "Body of 2.1." in chunk
    assert not any(line.startswith("3 not a heading") for line in chunk)


def test_table_of_contents_strips_pages_and_joins_wrapped_titles():
    toc = [(e.number, e.title) for e in table_of_contents(TEXT)]
    assert toc == [
        ("1", "Introduction"),
        ("1.1", "Glossary"),
        ("2", "Messages"),
        ("2.1", "Transport Name That Wraps"),
    ]


def test_real_specs_toc_and_body_have_the_same_sections(shared_specs):
    for name in ("MS-WMCSOM.txt", "MS-SPWFCSOM.txt"):
        text = (shared_specs / name).read_text(encoding="utf-8")
        body = {s.number for s in split_sections(text)}
        toc = {e.number for e in table_of_contents(text)}
        # the body ends with an index ("8 Index") that the table of contents does not list
        assert toc <= body and len(body - toc) <= 1, (name, sorted(toc ^ body)[:10])
