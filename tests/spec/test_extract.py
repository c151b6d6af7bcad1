"""specs/ is exactly what `conformance spec extract` produces from the texts and errata."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.spec.data import load_csom
from conformance.spec.errata import load_errata
from conformance.spec.extract import SOURCES, extract_all, render

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
SCHEMA = json.loads((ROOT / "conformance" / "spec" / "export.schema.json").read_text())


@pytest.fixture(scope="module")
def extracted(shared_specs):
    return extract_all(shared_specs, SPECS / "errata.toml")


@pytest.mark.parametrize("protocol", list(SOURCES))
def test_committed_data_is_what_extraction_produces(extracted, protocol):
    committed = (SPECS / f"{protocol}.json").read_text(encoding="utf-8")
    assert render(extracted[protocol]) == committed, (
        f"specs/{protocol}.json is stale: run `conformance spec extract --source ../shared/specs`"
    )


def test_extraction_is_deterministic(shared_specs, extracted):
    assert extract_all(shared_specs, SPECS / "errata.toml") == extracted


def test_every_patch_is_recorded_in_the_data(extracted):
    patched = {e.id for e in load_errata(SPECS / "errata.toml") if e.patch}
    recorded = {i for doc in extracted.values() for i in doc["errata"]}
    assert patched == recorded


def test_cli_extract_writes_the_same_files(shared_specs, tmp_path):
    shutil.copy(SPECS / "errata.toml", tmp_path / "errata.toml")
    result = CliRunner().invoke(
        main, ["spec", "extract", "--source", str(shared_specs), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    for protocol in SOURCES:
        assert (tmp_path / f"{protocol}.json").read_bytes() == (SPECS / f"{protocol}.json").read_bytes()


def test_cli_extract_missing_source_is_a_usage_error(tmp_path):
    shutil.copy(SPECS / "errata.toml", tmp_path / "errata.toml")
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(main, ["spec", "extract", "--source", str(missing), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "spec text not found" in result.output and "Traceback" not in result.output


def test_cli_extract_needs_errata_in_out(tmp_path, shared_specs):
    result = CliRunner().invoke(
        main, ["spec", "extract", "--source", str(shared_specs), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "errata.toml not found" in result.output


def test_cli_extract_reports_a_stale_erratum_with_exit_1(tmp_path, shared_specs):
    (tmp_path / "errata.toml").write_text(
        '[[erratum]]\nid = "x"\nprotocol = "ms-wmcsom"\nsection = "2.2.1"\nkind = "typo"\n'
        'literal = "a"\nreading = "b"\nevidence = "c"\n'
        '[erratum.patch]\nfind = "no such text"\nreplace = "b"\n'
    )
    result = CliRunner().invoke(
        main, ["spec", "extract", "--source", str(shared_specs), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "erratum x" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("protocol", ["ms-wmcsom", "ms-spwfcsom"])
def test_cli_export_is_valid_and_complete(protocol):
    result = CliRunner().invoke(main, ["spec", "export", "--protocol", protocol, "--format", "json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    jsonschema.validate(exported, SCHEMA)
    assert exported == load_csom(protocol).export()
    assert exported["protocol"] == protocol and exported["types"]


def test_cli_usage_errors_exit_2():
    runner = CliRunner()
    assert runner.invoke(main, ["spec", "export", "--protocol", "nope"]).exit_code == 2
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2


def test_console_script_is_installed():
    exe = shutil.which("conformance") or str(Path(sys.executable).parent / "conformance")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("conformance, version ")
