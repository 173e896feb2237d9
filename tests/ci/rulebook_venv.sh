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
  local banner
  # Read the whole banner first: a reader that stops early would break java's pipe under pipefail.
  banner="$(java -version 2>&1 || true)"
  sed -n 's/.*version "\([0-9]*\).*/\1/p;T;q' <<<"$banner"
}
major="$(java_major)"
if [ -z "$major" ] || [ "$major" -lt 17 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ansible-rulebook needs Java 17 or newer and there is no apt-get here: install a JDK/JRE 17" >&2
    exit 1
  fi
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    as_root=(sudo)
  fi
  echo "Installing a Java 17 runtime for ansible-rulebook (apt-get)"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
    --no-install-recommends openjdk-17-jre-headless >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  py="$(tests/ci/python.sh 3.12)"
  echo "Creating $venv with $py"
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/eda/requirements.txt
touch "$venv/.installed"
