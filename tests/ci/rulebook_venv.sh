#!/usr/bin/env bash
# Create (or refresh) the virtualenv that runs ansible-rulebook, and make sure Java 17+ is there.
#
# ansible-rulebook needs a Java runtime of version 17 or newer (Drools runs in it); a machine
# without one gets Debian's openjdk-17-jre-headless. Its Python dependencies pin libraries
# below the versions of the test virtualenv, so it lives in a virtualenv of its own.
set -euo pipefail
venv="${1:-.venvs/rulebook}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}
if [ "$(java_major)" -lt 17 ] 2>/dev/null || [ -z "$(java_major)" ]; then
  echo "Installing a Java 17 runtime for ansible-rulebook (apt)"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  py="$(tests/ci/python.sh 3.12)"
  echo "Creating $venv with $py"
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/eda/requirements.txt
touch "$venv/.installed"
