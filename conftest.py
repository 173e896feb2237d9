"""Test-suite wiring: import the collection as ``ansible_collections.scriptbridge.core``.

The repository root is the collection. Python (and Ansible) find it under an
``ansible_collections/scriptbridge/core`` path, which ``build/collections``
provides as a link to this directory; ``tests/`` is importable for the
simulators.
"""

import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(ROOT, "build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "scriptbridge", "core")

if not os.path.lexists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)

for path in (COLLECTIONS, os.path.join(ROOT, "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)
