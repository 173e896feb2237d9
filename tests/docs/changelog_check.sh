#!/usr/bin/env bash
# Check the changelog: the fragments and changelogs/changelog.yaml lint clean,
# CHANGELOG.rst is what `antsibull-changelog generate` makes of changelog.yaml,
# and the release notes of the next release (with the pending fragments) render
# as reStructuredText without a warning.
#
# Everything that writes runs on a copy under build/changelog, so the working
# tree (fragments, plugin cache) is never touched.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${VENV:-$root/.venv}"
export PATH="$venv/bin:$PATH"
base="$root/build/changelog"
tree="$base/ansible_collections/scriptbridge/core"
export ANSIBLE_COLLECTIONS_PATH="$base"

cd "$root"
antsibull-changelog lint
antsibull-changelog lint-changelog-yaml --strict changelogs/changelog.yaml

rm -rf "$base"
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$tree"
cd "$tree"

antsibull-changelog generate
if ! cmp -s CHANGELOG.rst "$root/CHANGELOG.rst"; then
  diff -u "$root/CHANGELOG.rst" CHANGELOG.rst || true
  echo "CHANGELOG.rst is not what 'antsibull-changelog generate' makes of changelogs/changelog.yaml: run it and commit." >&2
  exit 1
fi

version="$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"
antsibull-changelog release --version "$version" --update-existing
python - CHANGELOG.rst <<'PY'
import sys

import docutils.core

# Any docutils warning (level 2) is an error here.
with open(sys.argv[1], encoding="utf-8") as source:
    docutils.core.publish_string(source.read(), source_path=sys.argv[1], writer="html",
                                 settings_overrides={"halt_level": 2, "report_level": 2})
PY
echo "Changelog OK: release notes of $version render ($(grep -c '^- ' CHANGELOG.rst) entries)."
