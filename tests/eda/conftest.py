"""The end-to-end rulebook runs need the rulebook virtualenv that the set-up makes."""

import pytest

from ansible_collections.scriptbridge.core.tests.eda.eda_helpers import VENV


@pytest.fixture(scope="session", autouse=True)
def rulebook_venv():
    if not (VENV / "bin" / "ansible-rulebook").exists():
        pytest.fail("%s has no ansible-rulebook: run tests/ci/rulebook_venv.sh (make venv does)" % VENV)
