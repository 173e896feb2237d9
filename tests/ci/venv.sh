#!/usr/bin/env bash
# Create (or refresh) the test virtualenv with everything the test command needs.
set -euo pipefail
venv="${1:-.venv}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [ ! -x "$venv/bin/python" ]; then
  py="$(tests/ci/python.sh 3.12)"
  echo "Creating $venv with $py"
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
tests/ci/shellcheck.sh
# ansible-rulebook (make eda) in a virtualenv of its own, and Java 17 when the machine has none.
tests/ci/rulebook_venv.sh "${RULEBOOK_VENV:-.venvs/rulebook}"
touch "$venv/.installed"
