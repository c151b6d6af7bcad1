from pathlib import Path

import pytest

from conformance.spec.errata import Erratum, ErratumError, Patch, apply_patches, load_errata
from conformance.spec.extract import SOURCES

TEXT = "Head\n\n1 Intro\n\nalpha beta\n\n2 Other\n\nbeta gamma\n"


def _erratum(section: str, find: str, replace: str, protocol: str = "p") -> Erratum:
    return Erratum("e1", protocol, section, "typo", find, replace, "test", patch=Patch(find, replace))


def test_patch_applies_inside_its_section_only():
    text, applied = apply_patches(TEXT, [_erratum("2", "beta", "BETA")], "p")
    assert applied == ["e1"]
    assert "alpha beta" in text and "BETA gamma" in text


def test_patch_must_match_exactly_once():
    with pytest.raises(ErratumError, match="found 0 times"):
        apply_patches(TEXT, [_erratum("1", "gamma", "x")], "p")
    with pytest.raises(ErratumError, match="found 2 times"):
        apply_patches(TEXT, [_erratum("*", "beta", "x")], "p")


def test_patches_of_other_protocols_are_ignored():
    assert apply_patches(TEXT, [_erratum("1", "nothing", "x", protocol="q")], "p") == (TEXT, [])


def test_load_errata_rejects_unknown_kind_and_duplicates(tmp_path: Path):
    entry = 'id = "a"\nprotocol = "p"\nsection = "1"\nliteral = "x"\nreading = "y"\nevidence = "z"\n'
    path = tmp_path / "errata.toml"
    path.write_text(f'[[erratum]]\n{entry}kind = "nonsense"\n')
    with pytest.raises(ErratumError, match="unknown kind"):
        load_errata(path)
    path.write_text(f'[[erratum]]\n{entry}kind = "typo"\n[[erratum]]\n{entry}kind = "typo"\n')
    with pytest.raises(ErratumError, match="duplicate"):
        load_errata(path)


def test_committed_errata_are_complete_and_all_apply(shared_specs):
    errata = load_errata(Path(__file__).resolve().parents[2] / "specs" / "errata.toml")
    for e in errata:
        assert e.protocol in SOURCES, e.id
        assert e.literal and e.reading and e.evidence, e.id
    for protocol, filename in SOURCES.items():
        # raises if any patch no longer matches the text exactly once
        apply_patches((shared_specs / filename).read_text(encoding="utf-8"), errata, protocol)
