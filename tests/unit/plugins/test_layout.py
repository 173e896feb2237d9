# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The layout of plugins/module_utils keeps its rules: every import of every plugin and event source is checked.

The packages of module_utils and what each may import (their ``__init__.py``
says the same):

=====================  ==================================================================
package                may import (of the collection's module_utils)
=====================  ==================================================================
core                   core
eda                    core, eda
zabbix                 core, zabbix
superoffice            core, superoffice, superoffice.online
superoffice.online     core, superoffice.online, the client layer of superoffice
                       (urls, vocabulary, client)
=====================  ==================================================================

A module file holds its documentation and the one-line run: it imports the
base module (``core.module``) and its task (a ``*_task`` module), nothing else.
An action plugin imports at most the action runner (``core.action``) and its
task. An event source imports ``core``, ``eda`` and one service. Every import
of the collection's module_utils names a file that exists, and no file sits
in module_utils outside a package.

The checker reads sources with ``ast`` only (nothing is imported), so the
parametrised cases below feed it synthetic sources to show that it catches
each kind of violation.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULE_UTILS = "ansible_collections.scriptbridge.core.plugins.module_utils"
PACKAGES = ("core", "eda", "zabbix", "superoffice", "superoffice.online")
# What each package may import of the collection's module_utils: packages, or single modules.
ALLOWED = {
    "core": ("core",),
    "eda": ("core", "eda"),
    "zabbix": ("core", "zabbix"),
    "superoffice": ("core", "superoffice", "superoffice.online"),
    "superoffice.online": ("core", "superoffice.online", "superoffice.urls", "superoffice.vocabulary",
                           "superoffice.client"),
}
SERVICES = ("zabbix", "superoffice")
# The modules that are not plugins of their own: the event sources sit beside the plugins.
EVENT_SOURCES = os.path.join("extensions", "eda", "plugins", "event_source")


def _is_under(name, prefix):
    return name == prefix or name.startswith(prefix + ".")


def package_of(name):
    """The package of a module_utils module (``superoffice.online.keys`` -> ``superoffice.online``), or None."""
    found = [package for package in PACKAGES if _is_under(name, package)]
    return max(found, key=len) if found else None


def module_exists(name, root=ROOT):
    base = os.path.join(root, "plugins", "module_utils", *name.split("."))
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


def imported_module_utils(source, exists=module_exists):
    """The collection's module_utils modules a source imports (relative to module_utils), and its other imports."""
    found, others = [], []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from package import module`` imports the module; ``from module import name``, the module.
            names = [_imported(node.module, alias.name, exists) for alias in node.names]
        else:
            continue
        for name in names:
            relative = _relative(name)
            if relative is None:
                others.append(name)
            elif relative not in found:
                found.append(relative)
    return found, others


def _imported(module, name, exists):
    """What ``from module import name`` imports: the module ``module.name`` if there is one, else ``module``."""
    relative = _relative(module + "." + name)
    return module + "." + name if relative is not None and exists(relative) else module


def _relative(name):
    if name == MODULE_UTILS:
        return ""
    return name[len(MODULE_UTILS) + 1:] if name.startswith(MODULE_UTILS + ".") else None


def kind_of(path):
    """What a file is, from its path relative to the repository: ``module_utils:<package>``, ``module`` and so on."""
    parts = path.replace(os.sep, "/").split("/")
    if parts[:2] == ["plugins", "module_utils"]:
        package = ".".join(parts[2:-1])
        return "module_utils:%s" % package
    if parts[:2] == ["plugins", "modules"]:
        return "module"
    if parts[:2] == ["plugins", "action"]:
        return "action"
    if "/".join(parts[:-1]) == EVENT_SOURCES.replace(os.sep, "/"):
        return "event_source"
    return "plugin"


def violations(path, source, exists=module_exists):
    """Every way the imports of ``source`` (the file at ``path``) break the layout, as sentences."""
    kind = kind_of(path)
    imported, others = imported_module_utils(source, exists)
    found = ["%s imports module_utils.%s, which does not exist" % (path, name)
             for name in imported if not exists(name)]
    if kind.startswith("module_utils:"):
        found.extend(_package_violations(path, kind.split(":", 1)[1], imported))
    elif kind == "module":
        found.extend(_module_violations(path, imported, others))
    elif kind == "action":
        found.extend("%s imports module_utils.%s; an action plugin imports the action runner and its task only"
                     % (path, name) for name in imported if name != "core.action" and not _is_task(name))
    elif kind == "event_source":
        found.extend(_source_violations(path, imported))
    return found


def _is_task(name):
    return name.rsplit(".", 1)[-1].endswith("_task")


def _package_violations(path, package, imported):
    if package not in ALLOWED:
        return ["%s is not in a package of module_utils (%s)" % (path, ", ".join(PACKAGES))]
    return ["%s (package %s) imports module_utils.%s; %s may import %s only"
            % (path, package, name, package, ", ".join(ALLOWED[package]))
            for name in imported if not any(_is_under(name, allowed) for allowed in ALLOWED[package])]


def _module_violations(path, imported, others):
    found = ["%s imports %s; a module file imports the base module and its task only" % (path, name)
             for name in others if name != "__future__"]
    tasks = [name for name in imported if _is_task(name)]
    found.extend("%s imports module_utils.%s; a module file imports the base module and its task only" % (path, name)
                 for name in imported if name != "core.module" and not _is_task(name))
    if len(tasks) > 1:
        found.append("%s imports %d tasks (%s); a module file runs one" % (path, len(tasks), ", ".join(tasks)))
    return found


def _source_violations(path, imported):
    services = sorted(set(service for service in SERVICES for name in imported if _is_under(name, service)))
    if len(services) > 1:
        return ["%s imports both services (%s); an event source uses one" % (path, ", ".join(services))]
    return []


def collection_files():
    """Every Python file of plugins/ and of the event sources, relative to the repository."""
    for top in ("plugins", EVENT_SOURCES):
        for directory, dummy, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.relpath(os.path.join(directory, name), ROOT)


def test_the_collection_keeps_its_layout():
    files = list(collection_files())
    assert any(path.startswith(os.path.join("plugins", "module_utils", "core")) for path in files)
    assert any(kind_of(path) == "event_source" for path in files)
    found = []
    for path in files:
        with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
            found.extend(violations(path, handle.read()))
    assert found == []


def test_every_package_says_what_it_may_import():
    for package in PACKAGES:
        path = os.path.join(ROOT, "plugins", "module_utils", *package.split(".")) + os.sep + "__init__.py"
        with open(path, encoding="utf-8") as handle:
            docstring = ast.get_docstring(ast.parse(handle.read()))
        assert docstring and "May import" in docstring, package


# -- the checker catches each kind of violation ---------------------------------------------------------------------

M = MODULE_UTILS
MU = os.path.join("plugins", "module_utils")
MODULE = os.path.join("plugins", "modules", "zabbix_script_execute.py")
ACTION = os.path.join("plugins", "action", "zabbix_event_acknowledge.py")
SOURCE = os.path.join(EVENT_SOURCES, "zabbix_events.py")
ONE_LINE_RUN = ("from %s.core.module import ScriptBridgeModule\nfrom %s.zabbix.script_task import ZabbixScriptTask\n"
                % (M, M))


@pytest.mark.parametrize("path, source, words", [
    (os.path.join(MU, "core", "http.py"), "from %s.zabbix.client import ZabbixClient\n" % M,
     "(package core) imports module_utils.zabbix.client"),
    (os.path.join(MU, "core", "task.py"), "import %s.superoffice.client\n" % M,
     "(package core) imports module_utils.superoffice.client"),
    (os.path.join(MU, "core", "module.py"), "def f():\n    from %s.eda import state\n" % M,
     "(package core) imports module_utils.eda.state"),
    (os.path.join(MU, "zabbix", "client.py"), "from %s.superoffice.urls import base_url\n" % M,
     "(package zabbix) imports module_utils.superoffice.urls"),
    (os.path.join(MU, "superoffice", "client.py"), "from %s.zabbix.client import acts\n" % M,
     "(package superoffice) imports module_utils.zabbix.client"),
    (os.path.join(MU, "superoffice", "online", "keys.py"),
     "try:\n    from %s.zabbix import options\nexcept ImportError:\n    pass\n" % M,
     "(package superoffice.online) imports module_utils.zabbix.options"),
    (os.path.join(MU, "superoffice", "online", "client.py"), "from %s.superoffice.connection import SUPEROFFICE\n" % M,
     "(package superoffice.online) imports module_utils.superoffice.connection"),
    (os.path.join(MU, "eda", "state.py"), "from %s.zabbix.client import ZabbixClient\n" % M,
     "(package eda) imports module_utils.zabbix.client"),
    (os.path.join(MU, "flat.py"), "import os\n", "is not in a package of module_utils"),
    (MODULE, ONE_LINE_RUN + "from %s.core.errors import OptionError\n" % M,
     "imports module_utils.core.errors; a module file"),
    (MODULE, ONE_LINE_RUN + "import json\n", "imports json; a module file"),
    (MODULE, ONE_LINE_RUN + "from %s.zabbix.acknowledge_task import ZabbixAcknowledgeTask\n" % M,
     "imports 2 tasks"),
    (ACTION, "from %s.core.module import ScriptBridgeModule\n" % M, "an action plugin imports"),
    (SOURCE, "from %s.zabbix.connection import ZABBIX\nfrom %s.superoffice.urls import base_url\n" % (M, M),
     "imports both services"),
    (SOURCE, "from %s.zabbix.gone import nothing\n" % M, "module_utils.zabbix.gone, which does not exist"),
])
def test_the_checker_catches(path, source, words):
    found = violations(path, source)
    assert any(words in sentence for sentence in found), found


@pytest.mark.parametrize("path, source", [
    (os.path.join(MU, "superoffice", "online", "client.py"), "from %s.superoffice.client import SuperOfficeClient\n" % M),
    (os.path.join(MU, "superoffice", "connection.py"), "from %s.superoffice.online.client import OnlineSuperOfficeClient\n"
     % M),
    (os.path.join(MU, "zabbix", "script_task.py"), "from %s.core.task import Task\nimport re\n" % M),
    (MODULE, "from __future__ import absolute_import\n" + ONE_LINE_RUN),
    (ACTION, "from ansible.plugins.action import ActionBase\nfrom %s.core.action import run_in_action\n"
             "from %s.zabbix.acknowledge_task import ZabbixAcknowledgeTask\n" % (M, M)),
    (SOURCE, "from %s.core.errors import OptionError\nfrom %s.eda.state import ZabbixState\n"
             "from %s.zabbix.connection import ZABBIX\n" % (M, M, M)),
])
def test_the_checker_lets_the_rules_through(path, source):
    assert violations(path, source) == []
