#!/usr/bin/env bash
# Create (or refresh) a virtualenv from a requirements file; no root needed.
#
#   tests/ci/venv.sh .venv tests/requirements.txt        the test virtualenv (make test)
#   tests/ci/venv.sh .venvs/demo demo/requirements.txt   the demo's (make demo)
set -euo pipefail
venv="${1:-.venv}"
requirements="${2:-tests/requirements.txt}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [ ! -x "$venv/bin/python" ]; then
  py="$(tests/ci/python.sh 3.12)"
  echo "Creating $venv with $py"
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
touch "$venv/.installed"
