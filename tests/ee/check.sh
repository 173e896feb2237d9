#!/usr/bin/env bash
# make ee: prove the execution environment definition without a container engine.
#
# 1. Build the collection tarball (build/ee/dist) and put it where
#    execution-environment.yml takes it from (build/ee/collections).
# 2. `ansible-builder create` writes the build context (build/ee/context):
#    it validates execution-environment.yml against the version 3 schema.
# 3. Install the tarball offline, as the image's galaxy stage does, and let
#    `ansible-builder introspect` read the collection's
#    meta/execution-environment.yml: it must yield requirements.txt.
# 4. tests/ee: a job through ansible-runner with the installed tarball.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${VENV:-$root/.venv}"
export PATH="$venv/bin:$PATH" ANSIBLE_NOCOLOR=1
cd "$root"
out=build/ee
rm -rf "$out"
mkdir -p "$out/dist" "$out/collections"

ansible-galaxy collection build --force --output-path "$out/dist" . >/dev/null
tarball="$(ls "$out"/dist/scriptbridge-core-*.tar.gz)"
cp "$tarball" "$out/collections/scriptbridge-core.tar.gz"

ansible-builder create --file execution-environment.yml --context "$out/context" --output-filename Containerfile >/dev/null
grep -q 'COPY _build/collections/ /build/collections/' "$out/context/Containerfile"
grep -q 'scriptbridge-core.tar.gz' "$out/context/_build/requirements.yml"
test -s "$out/context/_build/collections/scriptbridge-core.tar.gz"

# The decision environment: the same collection, ansible-rulebook, Java, and the sources' libraries.
ansible-builder create --file decision-environment.yml --context "$out/de-context" --output-filename Containerfile >/dev/null
grep -q 'java-17-openjdk-headless' "$out/de-context/_build/bindep.txt"
for requirement in ansible-rulebook $(grep -v '^#' extensions/eda/requirements.txt | grep -v '^$'); do
  if ! grep -qF "$requirement" "$out/de-context/_build/requirements.txt"; then
    echo "decision-environment.yml does not install '$requirement' (extensions/eda/requirements.txt)" >&2
    exit 1
  fi
done
test -s "$out/de-context/_build/collections/scriptbridge-core.tar.gz"

ansible-galaxy collection install --offline -p "$out/installed" "$out/collections/scriptbridge-core.tar.gz" >/dev/null
ansible-builder introspect --sanitize "$out/installed" > "$out/introspect.txt"
expected="$(grep -v '^#' requirements.txt | grep -v '^$')"
while read -r requirement; do
  if ! grep -qF "$requirement" "$out/introspect.txt"; then
    cat "$out/introspect.txt" >&2
    echo "ansible-builder introspect does not find '$requirement' in the collection's meta/execution-environment.yml" >&2
    exit 1
  fi
done <<< "$expected"
echo "EE definition OK: $(basename "$tarball"), build context in $out/context, Python deps: ${expected//$'\n'/ }"
echo "DE definition OK: build context in $out/de-context"

python -m pytest -q -p no:cacheprovider -W "ignore:This process:DeprecationWarning" tests/ee
