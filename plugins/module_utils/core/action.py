# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""A task run by an action plugin on the controller, for a module whose file holds only documentation.

Module argument specs may not use some option names (``message``: ansible-test
sanity reserves it). A module that must take such an option is documented in
its module file and done by an action plugin of the same name, which hands the
task's arguments (module_defaults already merged by ansible-core) to
``run_in_action``. It follows the steps of ``ScriptBridgeModule`` (``module.py``):
the connection groups and the task's own options validated with Ansible's
``ArgumentSpecValidator`` (types, defaults, environment fallbacks, constraints),
the groups resolved and validated, the task's options checked, the client built
(read-only in check mode), ``predict()`` or ``execute()``, and every error a
``failed`` result with its message; every secret is masked in the result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import module_arguments
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HAS_REQUESTS
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import run_task


def _given(spec, args):
    """The options the task set itself (before environment fallbacks), by their names rather than aliases."""
    set_names = set(name for name, value in args.items() if value is not None)
    return set(name for name, option in spec.items()
               if name in set_names or set(option.get("aliases") or ()) & set_names)


def _secrets(spec, params, groups):
    found = set(str(params[name]) for name, option in spec.items() if option.get("no_log") and params.get(name))
    for group in groups:
        found.update(str(secret) for secret in group.secrets(params))
    return found


def run_in_action(task_class, args, check_mode):
    """The result of ``task_class`` for the task arguments ``args``: what the module would return."""
    groups = task_class.connection.compose() if task_class.connection is not None else []
    spec, constraints = module_arguments(groups, task_class.argument_spec, task_class.constraints)
    validation = ArgumentSpecValidator(spec, **constraints).validate(dict(args))
    params = validation.validated_parameters
    redactor = Redactor(_secrets(spec, params, groups))
    if validation.error_messages:
        return redactor.scrub({"failed": True, "changed": False, "msg": "; ".join(validation.error_messages)})
    if not HAS_REQUESTS:
        return {"failed": True, "changed": False, "msg": missing_required_lib("requests")}
    warnings = [warning for group in groups for warning in group.warnings(params)]
    try:
        given = _given(spec, args)
        for group in groups:
            group.resolve(params, given)
        for group in groups:
            group.validate(params)
        options = task_class.check_options(params)
        client = task_class.connection.client(params, redactor=redactor, read_only=check_mode,
                                              **task_class.client_settings(options))
        result = run_task(task_class, options, client, check_mode)
    except ScriptBridgeError as exc:
        if getattr(exc, "library", None):
            return {"failed": True, "changed": False, "msg": missing_required_lib(exc.library)}
        result = {"changed": bool(exc.may_have_run), "failed": True, "msg": exc.message, "error": exc.to_dict()}
    if warnings:
        result["warnings"] = warnings
    return redactor.scrub(result)
