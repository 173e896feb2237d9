# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs scriptbridge.core.superoffice_login and hides its result from every output.

The module returns a ticket or an access token that later tasks need
(``ticket: "{{ login.ticket }}"``), so the module cannot mask it the way it
masks the secrets it was given. Instead the result is marked
``_ansible_no_log``: ansible-core (2.18 to 2.21) then shows callbacks, at any
verbosity, only that the output was hidden, while the registered variable keeps
the whole result. A failed login carries no credential, so its message shows.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

MODULE = "scriptbridge.core.superoffice_login"
CREDENTIALS = ("ticket", "access_token")


class ActionModule(ActionBase):
    """The module, then no_log on a result that holds a credential."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
        if any(result.get(name) for name in CREDENTIALS):
            result["_ansible_no_log"] = True
        return result
