# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The base of every module: option groups in, one place where errors go out.

A module builds a ``ScriptBridgeModule`` from its own options and the option
group of its service, then hands ``run()`` a function that returns the result
dict. ``run()`` is the only place that calls ``exit_json``/``fail_json``: it
turns the collection's errors into ``failed: true`` with a message, and masks
every secret the run has seen (options, session ids) in everything it returns.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.scriptbridge.core.plugins.module_utils._errors import ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils._http import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    Redactor,
    url_password,
)


def _no_traceback():
    """fail_json arguments that keep the call stack out of the result.

    ansible-core 2.19+ attaches the stack of the fail_json call to a failure when
    error tracebacks are on; the collection's failures are expected outcomes
    with their own message. 2.18 has no such parameter.
    """
    if "exception" in inspect.signature(AnsibleModule.fail_json).parameters:
        return {"exception": ""}
    return {}


_CREDENTIAL_HEADERS = ("authorization", "so-apptoken", "x-xsrf-token", "cookie", "proxy-authorization")


class ScriptBridgeModule(AnsibleModule):
    """``AnsibleModule`` with the collection's option groups and error handling."""

    def __init__(self, argument_spec, option_groups=(), **kwargs):
        spec = {}
        for group in option_groups:
            spec.update(group())
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        super(ScriptBridgeModule, self).__init__(argument_spec=spec, **kwargs)
        # A password in the URL is refused later, but must not show meanwhile.
        password = url_password(self.params.get("url"))
        if password:
            self.no_log_values.add(password)
        # Credentials in extra headers are refused, but must not show meanwhile either.
        for name, value in (self.params.get("headers") or {}).items():
            if str(name).lower() in _CREDENTIAL_HEADERS and value:
                self.no_log_values.add(str(value))
        self.redactor = Redactor(self.no_log_values)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        if self.params.get("validate_certs") is False:
            self.warn(
                "validate_certs is false: the server's TLS certificate is not checked, so credentials can be "
                "intercepted. Prefer ca_path with the CA bundle of the server."
            )

    def run(self, task):
        """Run ``task(self)`` and exit with its result, or fail with its error."""
        try:
            result = task(self)
        except ScriptBridgeError as exc:
            result = {"changed": bool(exc.may_have_run), "failed": True, "msg": exc.message, "error": exc.to_dict()}
        result = self.redactor.scrub(result)
        if result.get("failed"):
            result.update(_no_traceback())
            self.fail_json(**result)
        self.exit_json(**result)
