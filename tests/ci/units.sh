#!/usr/bin/env bash
# Run `ansible-test units` on a copy of the collection, as collection CI does.
#
#   tests/ci/units.sh                         every unit test
#   tests/ci/units.sh tests/unit/simulators/  some of them
#
# ansible-test needs the collection at .../ansible_collections/scriptbridge/core
# as a real directory. The tests run with the test virtualenv's Python (--local).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${VENV:-$root/.venv}"
python_version="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
# A directory of its own, so that two runs at the same time do not collide.
mkdir -p "$root/build"
work="$(mktemp -d "$root/build/units.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/scriptbridge/core"

mkdir -p "$tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tree"
cd "$tree"
git init -q . && git add -A >/dev/null
PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" units --local --python "$python_version" --color no "${@:-tests/unit/}"
