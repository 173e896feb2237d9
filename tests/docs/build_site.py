"""Build the documentation site: module, filter and role reference plus the guides in docs/.

Usage (from the repository root): ``make docs``, or ``.venv/bin/python tests/docs/build_site.py``.
The site ends up in ``build/docs/html/index.html``. Any error or warning fails the build:

1. ``antsibull-docs lint-collection-docs --plugin-docs`` checks every plugin's and
   role's documentation (DOCUMENTATION, EXAMPLES, RETURN, filter YAML files, meta/argument_specs.yml).
2. ``antsibull-docs sphinx-init`` writes the Sphinx configuration of the day;
   ``antsibull-docs collection`` renders the reference of whatever plugins and
   roles the collection has when the build runs.
3. Every ``docs/*.md`` is a page of the site (MyST). Links between them stay as
   they are; links to other files of the repository become links to the
   repository, and a link to a file that does not exist is an error.
4. The Event-Driven Ansible sources' DOCUMENTATION and EXAMPLES, which ansible-doc and
   antsibull-docs do not read, are checked and rendered by ``eda_docs.py``.
5. ``sphinx-build -W --keep-going`` (nitpicky) builds the HTML. The Ansible
   documentation labels the reference uses resolve through a small local
   inventory (no network).
"""

import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

from ansible_collections.scriptbridge.core.tests.docs import eda_docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
OUT = ROOT / "build" / "docs"
COLLECTIONS = ROOT / "build" / "collections"
COLLECTION = "scriptbridge.core"
BIN = Path(sys.executable).parent
REPOSITORY = "https://github.com/scriptbridge/scriptbridge.core"
BRANCH = "main"

# The guides in reading order; any other docs/*.md follows, by name.
GUIDE_ORDER = [
    "quickstart.md",
    "authentication.md",
    "check-mode.md",
    "retries-and-secrets.md",
    "event-remediation.md",
    "roles.md",
    "execution-environment.md",
    "event-driven-ansible.md",
    "compatibility.md",
    "benchmarks.md",
    "real-zabbix.md",
    "releasing.md",
]
# docs/*.md files that are not pages of the site.
NOT_PAGES = {"README.md"}

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
# Labels of the Ansible documentation that generated reference pages and guides link to:
# label -> (page#anchor, title).
ANSIBLE_LABELS = {
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                       "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "module_defaults": ("playbook_guide/playbooks_module_defaults.html#module-defaults", "Module defaults"),
    "check_mode_dry": ("playbook_guide/playbooks_checkmode.html#check-mode-dry",
                       "Validating tasks: check mode and diff mode"),
    "intro_adhoc": ("command_guide/intro_adhoc.html#intro-adhoc", "Introduction to ad hoc commands"),
    "playbooks_vault": ("playbook_guide/playbooks_vault.html#playbooks-vault", "Using vault in playbooks"),
    "collections_installing": ("collections_guide/collections_installing.html#collections-installing",
                               "Installing collections"),
    "playbooks_reuse_roles": ("playbook_guide/playbooks_reuse_roles.html#playbooks-reuse-roles", "Roles"),
    "role_argument_spec": ("playbook_guide/playbooks_reuse_roles.html#role-argument-spec",
                           "Role argument validation"),
    "playbooks_delegation": ("playbook_guide/playbooks_delegation.html#playbooks-delegation",
                             "Controlling where tasks run: delegation and local actions"),
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
}

CONF_OVERRIDES = '''

# --- scriptbridge.core: offline build, Markdown guides -------------------------------
# No network: Ansible documentation labels resolve through a local inventory.
intersphinx_mapping = {
    'ansible_devel': ('%(ansible_docs)s', %(inventory)r),
}
extensions = extensions + ['myst_parser']
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
myst_heading_anchors = 4
myst_enable_extensions = ['deflist']
'''

LINK = re.compile(r"(\]\()([^)\s]+)(\))")
FENCE = re.compile(r"^\s*(```|~~~)")


class BuildError(Exception):
    pass


def run(argv, cwd, env):
    print("+ " + " ".join(str(a) for a in argv), flush=True)
    proc = subprocess.run([str(a) for a in argv], cwd=str(cwd), env=env, check=False)
    if proc.returncode:
        raise BuildError("%s failed with exit code %d" % (Path(str(argv[0])).name, proc.returncode))


def environment():
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        PATH="%s:%s" % (BIN, env.get("PATH", "")),
        ANSIBLE_NOCOLOR="1",
    )
    return env


def link_collection():
    link = COLLECTIONS / "ansible_collections" / "scriptbridge" / "core"
    if not link.is_symlink() and not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)
    return link


def write_inventory(path):
    """A Sphinx object inventory (version 2) for the Ansible documentation labels."""
    lines = ["%s std:label -1 %s %s" % (label, uri, title) for label, (uri, title) in sorted(ANSIBLE_LABELS.items())]
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n" \
             "# The remainder of this file is compressed using zlib.\n"
    path.write_bytes(header.encode() + zlib.compress(("\n".join(lines) + "\n").encode()))


def pages():
    found = sorted(p.name for p in DOCS.glob("*.md") if p.name not in NOT_PAGES)
    ordered = [name for name in GUIDE_ORDER if name in found]
    return ordered + [name for name in found if name not in ordered]


def rewrite_links(name, text):
    """Keep links between pages; point links to other repository files at the repository."""
    errors = []
    out = []
    in_fence = False
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence or "](" not in line:
            out.append(line)
            continue

        def replace(match):
            target = match.group(2).strip("<>")
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                return match.group(0)
            path, _sep, anchor = target.partition("#")
            resolved = (DOCS / path).resolve()
            try:
                relative = resolved.relative_to(ROOT)
            except ValueError:
                errors.append("%s:%d: link %r leaves the repository" % (name, number, target))
                return match.group(0)
            if not resolved.exists():
                errors.append("%s:%d: link %r: %s does not exist" % (name, number, target, relative))
                return match.group(0)
            if resolved.parent == DOCS and resolved.suffix == ".md" and resolved.name not in NOT_PAGES:
                return match.group(0)
            kind = "tree" if resolved.is_dir() else "blob"
            url = "%s/%s/%s/%s" % (REPOSITORY, kind, BRANCH, relative.as_posix())
            return match.group(1) + url + ("#" + anchor if anchor else "") + match.group(3)

        out.append(LINK.sub(replace, line))
    if errors:
        raise BuildError("broken links in docs/:\n  " + "\n  ".join(errors))
    return "".join(out)


INDEX = """\
scriptbridge.core
=================

Run scripts through remote APIs from Ansible playbooks, ad-hoc commands and
automation platforms: Zabbix global scripts on hosts and problem events
(Zabbix 5.0 to 7.4), SuperOffice CRMScripts and CRMScript event handlers.

Start with the :doc:`quick start <quickstart>`; the reference lists every module, filter
and role with its options and return values.

.. toctree::
   :maxdepth: 1
   :caption: Guides

%(guides)s

.. toctree::
   :maxdepth: 2
   :caption: Reference

   collection/index

.. toctree::
   :maxdepth: 1
   :caption: Event sources (Event-Driven Ansible)

%(sources)s
"""


def build():
    env = environment()
    collection = link_collection()
    run([BIN / "antsibull-docs", "lint-collection-docs", "--plugin-docs", "."], collection, env)

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    OUT.chmod(0o755)  # antsibull-docs refuses a directory others can write to
    run([BIN / "antsibull-docs", "sphinx-init", "--use-current", "--squash-hierarchy", "--fail-on-error",
         "--dest-dir", OUT, "--project", COLLECTION, "--copyright", "scriptbridge.core contributors",
         "--title", "scriptbridge.core documentation", "--html-short-title", COLLECTION, COLLECTION], ROOT, env)
    with open(OUT / "conf.py", "a", encoding="utf-8") as conf:
        conf.write(CONF_OVERRIDES % {"ansible_docs": ANSIBLE_DOCS, "inventory": str(OUT / "ansible_devel.inv")})
    write_inventory(OUT / "ansible_devel.inv")

    source = OUT / "rst"
    reference = source / "collection"
    reference.mkdir(parents=True)
    reference.chmod(0o755)
    run([BIN / "antsibull-docs", "--config-file", OUT / "antsibull-docs.cfg", "collection", "--use-current",
         "--squash-hierarchy", "--fail-on-error", "--cleanup", "everything", "--dest-dir", reference, COLLECTION],
        OUT, env)

    try:
        sources = eda_docs.write_pages(ROOT, source / "eda", COLLECTION)
    except eda_docs.DocError as exc:
        raise BuildError("event source documentation:\n  " + str(exc).replace("\n", "\n  "))

    names = pages()
    for name in names:
        (source / name).write_text(rewrite_links(name, (DOCS / name).read_text(encoding="utf-8")), encoding="utf-8")
    guides = "\n".join("   " + name[:-3] for name in names)
    listed = "\n".join("   eda/" + name for name in sources)
    (source / "index.rst").write_text(INDEX % {"guides": guides, "sources": listed}, encoding="utf-8")

    run([BIN / "sphinx-build", "-b", "html", "-W", "--keep-going", "-n", "-q", "-c", OUT, source, OUT / "html"],
        OUT, env)
    print("Site built: %s (%d guides, %d event sources)" % (OUT / "html" / "index.html", len(names), len(sources)))


def main():
    try:
        build()
    except BuildError as exc:
        print("make docs: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
