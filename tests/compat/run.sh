#!/usr/bin/env bash
# Run the module tests under every supported ansible-core, each in its own
# virtualenv under .venvs/ (created once, refreshed when this file or
# tests/compat/requirements.txt changes).
#
#   tests/compat/run.sh                 every core of the matrix
#   tests/compat/run.sh 2.18 2.20       some of them
#
# Each core runs the playbook tests of every module (ansible-playbook and
# ansible against the simulators) with one Zabbix version of the simulator, a
# different one per core, so that together they cover the version rules. The
# newest core, 2.21, is the test virtualenv's (.venv, Python 3.12): `make
# playbook` runs every suite and the full version sweep under it, so it has no
# row here; 2.20 runs on Python 3.13 so that each supported Python runs the
# playbooks.
#
# The rows run side by side (COMPAT_JOBS at a time, default 3), one pytest
# worker each: most of a playbook test is waiting for ansible-playbook, and two
# cores serve three rows faster than one row after the other. Each row's
# output is printed when it ends.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

# core  python  zabbix simulator version
matrix=(
  "2.18 3.11 6.0"
  "2.19 3.11 6.4"
  "2.20 3.13 5.0"
)
jobs="${COMPAT_JOBS:-3}"
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

run_row() {
  # One row: its virtualenv, its tests; the last line of the output is the summary.
  local core="$1" python="$2" zabbix="$3" venv="$root/.venvs/core-$1" version suite present=() ids=() start
  make_venv "$core" "$(python_for "$python")"
  # All of the output, then its first line: a reader that stops early (head) would kill
  # ansible with SIGPIPE, and pipefail would end the script.
  version="$("$venv/bin/ansible" --version)"
  version="${version%%$'\n'*}"
  for suite in "${suites[@]}"; do
    [ -e "$suite" ] && present+=("$suite")
  done
  mapfile -t ids < <(select_tests "$venv" "$zabbix" "${present[@]}")
  if [ ${#ids[@]} -eq 0 ]; then
    echo "ansible-core $core: no tests collected under $version"
    return 1
  fi
  echo "== $version, $("$venv/bin/python" -V), Zabbix simulator $zabbix: ${#ids[@]} tests"
  start=$SECONDS
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider "${ids[@]}"; then
    echo "ansible-core $core ($("$venv/bin/python" -V)): ${#ids[@]} passed in $((SECONDS - start)) s"
  else
    echo "ansible-core $core ($("$venv/bin/python" -V)): FAILED"
    return 1
  fi
}

logs="$(mktemp -d "${TMPDIR:-/tmp}/scriptbridge-compat.XXXXXX")"
trap 'rm -rf "$logs"' EXIT
declare -A pid_core=()
failed=()
summary=()

finish_one() {
  # Wait for any row, print its output, note its outcome.
  local done_pid core
  wait -n -p done_pid "${!pid_core[@]}" && rc=0 || rc=$?
  core="${pid_core[$done_pid]}"
  unset "pid_core[$done_pid]"
  cat "$logs/$core.log"
  summary+=("$(tail -n 1 "$logs/$core.log")")
  [ "$rc" -eq 0 ] || failed+=("$core")
}

for row in "${matrix[@]}"; do
  read -r core python zabbix <<<"$row"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $core "* ]]; then
    continue
  fi
  while [ ${#pid_core[@]} -ge "$jobs" ]; do
    finish_one
  done
  run_row "$core" "$python" "$zabbix" >"$logs/$core.log" 2>&1 &
  pid_core[$!]="$core"
done
while [ ${#pid_core[@]} -gt 0 ]; do
  finish_one
done

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "compat: failed under ansible-core ${failed[*]}" >&2
  exit 1
fi
