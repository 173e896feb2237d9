#!/usr/bin/env bash
# Install shellcheck when it is missing, so that ansible-test's shellcheck sanity
# test runs on the collection's shell scripts (without it, that test is skipped
# with a warning only). Debian/Ubuntu: apt-get, as root or through sudo.
set -euo pipefail
if command -v shellcheck >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "shellcheck is missing and there is no apt-get here: install shellcheck (https://www.shellcheck.net)" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "shellcheck is missing: install it as root (apt-get install shellcheck)" >&2
    exit 1
  fi
  as_root=(sudo)
fi
echo "Installing shellcheck (apt-get)"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends shellcheck >/dev/null
command -v shellcheck >/dev/null
