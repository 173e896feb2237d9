"""The repository is self-contained: no file of it names a path outside it.

A person who clones the repository has only the repository, so every file that a
test, the demo, the docs build or CI reads must be inside it. This test reads
every file of the repository and fails on:

- a relative path (``../x``) that, taken from the folder of the file naming it,
  leads out of the repository;
- ``Path(__file__)...parents[N]`` (and ``.parent`` after it) climbing above the
  repository root;
- ``$root/..`` or ``ROOT.parent``, where the variable holds the repository root;
- an absolute path into a home, work or root folder of some machine.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SELF = "tests/unit/test_self_contained.py"
# Folders that are made by the tools, not part of the repository.
SKIPPED = {".git", ".venv", ".venvs", "build", "tests/output", ".pytest_cache", ".hypothesis", "benchmarks/output"}
RELATIVE = re.compile(r"(?<![\w./-])((?:\.\./)+[\w.-]+)")
PARENTS = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?\.parents\[(\d+)\]((?:\.parent\b)*)")
# Above a variable that holds the repository root: $root/.., ROOT.parent.
ABOVE_ROOT = re.compile(r"(?i)(\$\{?(?:root|repo)\}?/\.\.|\b(?:root|repo)\.parent\b)")
ABSOLUTE = re.compile(r"(?<![\w.:/-])(/(?:work|home|root|Users|tmp/x)/[\w.-]+)")
TEXT_SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".md", ".rst", ".cfg", ".ini", ".toml", ".txt", ".j2", ".json", ""}


def repository_files():
    """Every file of the repository (tracked or new, not ignored), relative to ROOT."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, check=True, capture_output=True).stdout.decode("utf-8")
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = [str(path.relative_to(ROOT)) for path in ROOT.rglob("*") if path.is_file()]
    return sorted(name for name in names
                  if not any(name == skip or name.startswith(skip + "/") for skip in SKIPPED)
                  and (ROOT / name).is_file() and Path(name).suffix in TEXT_SUFFIXES)


def outside_references(name, text):
    """The references in ``text`` (the file ``name``) that lead out of the repository."""
    found = []
    folder = (ROOT / name).parent
    for match in RELATIVE.finditer(text):
        target = os.path.normpath(folder / match.group(1))
        if not (target == str(ROOT) or target.startswith(str(ROOT) + os.sep)):
            found.append(match.group(1))
    depth = len(Path(name).parts) - 1
    for match in PARENTS.finditer(text):
        climbs = int(match.group(1)) + 1 + match.group(2).count(".parent")
        if climbs > depth + 1:
            found.append(match.group(0))
    found.extend(match.group(1) for match in ABOVE_ROOT.finditer(text))
    found.extend(match.group(1) for match in ABSOLUTE.finditer(text))
    return found


def test_the_repository_has_files_to_check():
    names = repository_files()
    assert "galaxy.yml" in names and "tests/simulators/swagger.py" in names


def test_no_file_names_a_path_outside_the_repository():
    offenders = {}
    for name in repository_files():
        if name == SELF:
            continue  # its examples of what it finds
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found = outside_references(name, text)
        if found:
            offenders[name] = found
    assert offenders == {}


@pytest.mark.parametrize("name, text", [
    ("tests/simulators/swagger.py", 'SPEC = Path(__file__).resolve().parents[2].parent / "beside"'),
    ("tests/ci/units.sh", 'ln -s "$root/../../' + 'beside" x'),
    ("tests/unit/x.py", 'open("../../../spec/FACTS.md")'),
    ("tests/unit/x.py", 'SPEC_DIR = REPO.parent / "beside"'),
    ("Makefile", "cat /work/" + "elsewhere/INTERFACE.md"),
])
def test_the_check_finds_each_kind_of_outside_reference(name, text):
    assert outside_references(name, text)


@pytest.mark.parametrize("name, text", [
    ("tests/simulators/swagger.py", 'SPEC = Path(__file__).resolve().parent / "specs"'),
    ("tests/simulators/swagger.py", "ROOT = Path(__file__).resolve().parents[2]"),
    ("extensions/molecule/problem_ticket/converge.yml", "vars_files: [../" + "shared/vars/simulators.yml]"),
    ("docs/quickstart.md", "see [roles](../roles/problem_ticket/README.md)"),
])
def test_the_check_lets_references_inside_the_repository_pass(name, text):
    assert outside_references(name, text) == []
