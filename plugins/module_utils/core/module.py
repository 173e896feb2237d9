# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The base of every module: a task and its connection groups in, one place where errors go out.

A module hands ``ScriptBridgeModule`` its task class (``task.py``). The base
composes the task's connection group with the groups it includes
(``connection.py``): it merges their argument specs and constraints with the
task's own, masks the secrets each group names, and shows their warnings.
``run()`` validates the groups, then the task's options, builds the client,
lets ``run_task`` decide once between ``predict()`` (check mode, on a
read-only client) and ``execute()``, and is the only place that calls
``exit_json``/``fail_json``: it turns the collection's errors into
``failed: true`` with a message, and masks every secret the run has seen
(options, session ids) in everything it returns. It knows no service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import module_arguments
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import run_task


def _no_traceback():
    """fail_json arguments that keep the call stack out of the result.

    ansible-core 2.19+ attaches the stack of the fail_json call to a failure when
    error tracebacks are on; the collection's failures are expected outcomes
    with their own message. 2.18 has no such parameter.
    """
    if "exception" in inspect.signature(AnsibleModule.fail_json).parameters:
        return {"exception": ""}
    return {}


class ScriptBridgeModule(AnsibleModule):
    """``AnsibleModule`` for one task class, with its connection groups and the collection's error handling."""

    def __init__(self, task_class, **kwargs):
        self.task_class = task_class
        self.groups = task_class.connection.compose() if task_class.connection is not None else []
        spec, constraints = module_arguments(self.groups, task_class.argument_spec, task_class.constraints)
        kwargs.setdefault("supports_check_mode", True)
        super(ScriptBridgeModule, self).__init__(argument_spec=spec, **dict(constraints, **kwargs))
        # Secrets that no no_log option holds as such must not show either, even in a refused value.
        for group in self.groups:
            self.no_log_values.update(str(secret) for secret in group.secrets(self.params))
        self.redactor = Redactor(self.no_log_values)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        for group in self.groups:
            for warning in group.warnings(self.params):
                self.warn(warning)

    def _load_params(self):
        super(ScriptBridgeModule, self)._load_params()
        # What the task set itself, before environment fallbacks fill in the rest.
        self.task_options = frozenset(name for name, value in self.params.items() if value is not None)

    def _given(self):
        """The options the task set, by their names rather than their aliases."""
        given = set()
        for name, spec in self.argument_spec.items():
            if name in self.task_options or set(spec.get("aliases") or ()) & self.task_options:
                given.add(name)
        return given

    def _result(self):
        given = self._given()
        for group in self.groups:
            group.resolve(self.params, given)
        for group in self.groups:
            group.validate(self.params)
        task_class = self.task_class
        options = task_class.check_options(self.params)
        client = task_class.connection.client(self.params, redactor=self.redactor, read_only=self.check_mode,
                                              **task_class.client_settings(options))
        return run_task(task_class, options, client, self.check_mode)

    def run(self):
        """Run the task and exit with its result, or fail with its error."""
        try:
            result = self._result()
        except ScriptBridgeError as exc:
            if getattr(exc, "library", None):
                # A library only some flows need (MissingLibraryError): Ansible's own message names it.
                self.fail_json(msg=missing_required_lib(exc.library), exception=exc.import_error)
            result = {"changed": bool(exc.may_have_run), "failed": True, "msg": exc.message, "error": exc.to_dict()}
        result = self.redactor.scrub(result)
        if result.get("failed"):
            result.update(_no_traceback())
            self.fail_json(**result)
        self.exit_json(**result)
