from pathlib import Path

import pytest

SHARED_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"


@pytest.fixture(scope="session")
def shared_specs() -> Path:
    if not (SHARED_SPECS / "MS-WMCSOM.txt").is_file():
        pytest.skip(f"spec texts not found at {SHARED_SPECS} (clone with ../shared beside the repo)")
    return SHARED_SPECS
