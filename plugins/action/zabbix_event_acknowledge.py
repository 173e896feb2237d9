# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Does the work of scriptbridge.core.zabbix_event_acknowledge, on the controller.

The module takes ``message``, a name that module argument specs may not use
(ansible-test sanity reserves it for Ansible's own logging), so its module file
holds only the documentation and this action plugin runs the task
(``module_utils/zabbix/acknowledge_task.py``) in the controller's process, where the modules of
this collection run anyway, through ``run_in_action`` (``module_utils/core/action.py``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.scriptbridge.core.plugins.module_utils.core.action import run_in_action
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.acknowledge_task import ZabbixAcknowledgeTask


class ActionModule(ActionBase):
    """The task of zabbix_event_acknowledge with the task's arguments (module_defaults merged)."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(run_in_action(ZabbixAcknowledgeTask, self._task.args, self._play_context.check_mode))
        return result
