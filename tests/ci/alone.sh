#!/usr/bin/env bash
# Run make targets on a copy of the repository in a folder that has nothing beside it,
# as a person who cloned the repository has it: a test that reads a file outside the
# repository fails here.
#
#   tests/ci/alone.sh unit playbook
#
# The copy holds the files git knows (tracked, or new and not ignored), so uncommitted
# changes are tested too; it uses this checkout's test virtualenv.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$(cd "${VENV:-$root/.venv}" && pwd)"
outer="$(mktemp -d "${TMPDIR:-/tmp}/scriptbridge-alone.XXXXXX")"
trap 'rm -rf "$outer"' EXIT
copy="$outer/scriptbridge.core"
mkdir -p "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$copy"
# A repository of its own, so that tests that ask git about the tree see the copy.
(cd "$copy" && git init -q . && git add -A >/dev/null)
echo "Running make $* in $copy (beside it: $(find "$outer" -mindepth 1 -maxdepth 1 -not -path "$copy" | wc -l) other files)"
make -C "$copy" VENV="$venv" "$@"
