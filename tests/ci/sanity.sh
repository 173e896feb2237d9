#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection.
#
# ansible-test needs the collection at .../ansible_collections/scriptbridge/core
# as a real directory, and downloads a pip bootstrap script from a host that
# may be unreachable; a local stand-in at its cache path installs pip with
# ensurepip and then the packages ansible-test asks for.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${VENV:-$root/.venv}"
# The shellcheck test must run, not be skipped for want of shellcheck.
"$root/tests/ci/shellcheck.sh"
python_version="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
# A directory of its own, so that two runs at the same time do not collide.
mkdir -p "$root/build"
work="$(mktemp -d "$root/build/sanity.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/scriptbridge/core"

pip_version="$("$venv/bin/python" -c '
import pathlib, re, ansible_test
source = (pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py").read_text()
print(re.search(r"pip=.([0-9.]+).", source).group(1))
')"
stand_in="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$stand_in")"
cat > "$stand_in" <<'PY'
import subprocess
import sys

# get-pip.py options that pip install does not know
ONLY_GET_PIP = {"--no-setuptools", "--no-wheel"}
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + [a for a in sys.argv[1:] if a not in ONLY_GET_PIP])
PY

mkdir -p "$tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tree"
cd "$tree"
git init -q . && git add -A >/dev/null
"$venv/bin/ansible-test" sanity --venv --python "$python_version" --color no "$@"
