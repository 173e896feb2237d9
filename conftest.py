"""Test-suite wiring: the collection is imported as ``ansible_collections.scriptbridge.core``.

The repository root is the collection. Python (and Ansible) find it under an
``ansible_collections/scriptbridge/core`` path, which ``build/collections``
provides as a link to this directory (``make link`` makes it; so does this file,
for a bare ``pytest`` run). ``pytest.ini`` puts ``build/collections`` on the
import path, so that tests import helpers and simulators as
``ansible_collections.scriptbridge.core.tests...``.
"""

import importlib
import os

ROOT = os.path.dirname(os.path.abspath(__file__))
LINK = os.path.join(ROOT, "build", "collections", "ansible_collections", "scriptbridge", "core")

if not os.path.lexists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
    # The import system may have looked for build/collections before it existed.
    importlib.invalidate_caches()
