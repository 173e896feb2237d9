#!/usr/bin/env bash
# Run the module tests under every supported ansible-core, each in its own
# virtualenv under .venvs/ (created once, refreshed when this file or
# tests/compat/requirements.txt changes).
#
#   tests/compat/run.sh                 every core of the matrix
#   tests/compat/run.sh 2.19 2.21       some of them
#
# Each core runs the playbook tests of every module (ansible-playbook and
# ansible against the simulators) with one Zabbix version of the simulator, a
# different one per core, so that together they cover the version rules; the
# full version sweep runs under the newest core in `make playbook`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

# core  python  zabbix simulator version
matrix=(
  "2.18 3.11 6.0"
  "2.19 3.11 6.4"
  "2.20 3.12 5.0"
  "2.21 3.13 7.2"
)
wanted=("$@")

# The module tests; a file that does not exist (yet) is left out.
suites=(
  tests/playbook/test_zabbix_script_execute.py
  tests/playbook/test_zabbix_event_acknowledge.py
  tests/playbook/test_superoffice_modules.py
  tests/playbook/test_superoffice_online.py
  tests/playbook/test_superoffice_fleet.py
  tests/playbook/test_examples.py
  tests/playbook/test_adhoc.py
)

python_for() {
  # A pyenv build of exactly that minor version, else the newest one from tests/ci/python.sh.
  local want="$1" py
  if command -v pyenv >/dev/null 2>&1; then
    py="$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -t. -k3,3n | tail -1 || true)"
    if [ -n "$py" ] && [ -x "$(pyenv root)/versions/$py/bin/python3" ]; then
      echo "$(pyenv root)/versions/$py/bin/python3"
      return
    fi
  fi
  command -v "python$want" 2>/dev/null || tests/ci/python.sh "$want"
}

make_venv() {
  local core="$1" py="$2" venv="$root/.venvs/core-$1" digest stamp
  digest="$(cat tests/compat/requirements.txt tests/compat/run.sh | sha1sum | cut -c1-12)"
  stamp="$venv/.installed-$digest"
  if [ -e "$stamp" ]; then
    return
  fi
  rm -rf "$venv"
  echo "== creating $venv (ansible-core $core on $("$py" -V 2>&1))"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "ansible-core~=$core.0" -r tests/compat/requirements.txt
  touch "$stamp"
}

select_tests() {
  # The node ids of the suites, with the Zabbix-version-parametrised ones limited to one version.
  local venv="$1" zabbix="$2"
  shift 2
  "$venv/bin/python" -m pytest --collect-only -q -p no:cacheprovider "$@" 2>/dev/null \
    | grep '::' \
    | awk -v v="$zabbix" '
        !/test_zabbix_(script_execute|event_acknowledge)\.py/ || index($0, "[") == 0 || index($0, "[" v "]") || index($0, "[" v "-") { print }'
}

failed=()
summary=()
for row in "${matrix[@]}"; do
  read -r core python zabbix <<<"$row"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $core "* ]]; then
    continue
  fi
  make_venv "$core" "$(python_for "$python")"
  venv="$root/.venvs/core-$core"
  # All of the output, then its first line: a reader that stops early (head) would kill
  # ansible with SIGPIPE, and pipefail would end the script.
  version="$("$venv/bin/ansible" --version)"
  version="${version%%$'\n'*}"
  present=()
  for suite in "${suites[@]}"; do
    [ -e "$suite" ] && present+=("$suite")
  done
  mapfile -t ids < <(select_tests "$venv" "$zabbix" "${present[@]}")
  if [ ${#ids[@]} -eq 0 ]; then
    echo "no tests collected under $version" >&2
    failed+=("$core")
    continue
  fi
  echo "== $version, $("$venv/bin/python" -V), Zabbix simulator $zabbix: ${#ids[@]} tests"
  start=$SECONDS
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider -n 2 "${ids[@]}"; then
    summary+=("ansible-core $core ($("$venv/bin/python" -V)): ${#ids[@]} passed in $((SECONDS - start)) s")
  else
    failed+=("$core")
    summary+=("ansible-core $core ($("$venv/bin/python" -V)): FAILED")
  fi
done

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "compat: failed under ansible-core ${failed[*]}" >&2
  exit 1
fi
