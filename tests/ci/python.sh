#!/usr/bin/env bash
# Print the path of a Python interpreter of at least the given version (default 3.12):
# ansible-core 2.20 and newer need Python 3.12+.
set -euo pipefail
want="${1:-3.12}"
ok() { "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] >= tuple(map(int, '$want'.split('.'))) else 1)" 2>/dev/null; }
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  while read -r v; do
    candidates+=("$(pyenv root)/versions/$v/bin/python3")
  done < <(pyenv versions --bare 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k2,2n -k3,3n)
fi
candidates+=("$(command -v python3.13 || true)" "$(command -v python3.12 || true)" "$(command -v python3 || true)")
for py in "${candidates[@]}"; do
  if [ -n "$py" ] && [ -x "$py" ] && ok "$py"; then
    echo "$py"
    exit 0
  fi
done
echo "No Python >= $want found: install one (for example with pyenv or apt) and retry." >&2
exit 1
