#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: zabbix_script_execute
short_description: Run a Zabbix script on hosts or problem events
version_added: 0.1.0
description:
  - Runs a Zabbix global script (C(script.execute)) on one or more hosts, or on one or more problem events.
  - Names are resolved first, in one call each for the script and the targets; nothing runs unless every name resolves.
  - Several targets run at the same time, at most O(concurrency) at once; results come back in the order given.
  - A C(script.execute) request that may have reached the server is never sent again.
author:
  - scriptbridge.core maintainers (@scriptbridge)
extends_documentation_fragment:
  - scriptbridge.core.zabbix
  - scriptbridge.core.transport
  - scriptbridge.core.attributes
  - scriptbridge.core.attributes.ACTIONGROUP_ZABBIX
options:
  script_id:
    description:
      - Id of the script to run.
      - Exactly one of O(script_id) and O(script) is required.
    type: str
    aliases: [scriptid]
  script:
    description:
      - Name of the script to run, resolved with C(script.get).
      - When several scripts share the name, O(menu_path) tells them apart; zero or several matches fail
        and list the candidates.
    type: str
  menu_path:
    description:
      - Menu path of the script named by O(script), for example C(Tools/Network). Leading and trailing C(/) do not matter.
    type: str
  host_id:
    description:
      - Id of the one host to run the script on.
      - Exactly one of O(host_id), O(host), O(host_ids), O(hosts), O(event_id) and O(event_ids) is required.
    type: str
    aliases: [hostid]
  host:
    description:
      - Technical name of the one host to run the script on.
    type: str
  host_ids:
    description:
      - Ids of the hosts to run the script on.
    type: list
    elements: str
  hosts:
    description:
      - Technical names of the hosts to run the script on, resolved in one C(host.get) call.
    type: list
    elements: str
  event_id:
    description:
      - Id of the one event to run the script on (a script with the scope "manual event action", Zabbix 5.4 and later).
    type: str
    aliases: [eventid]
  event_ids:
    description:
      - Ids of the events to run the script on.
    type: list
    elements: str
  manualinput:
    description:
      - User input that replaces the C({MANUALINPUT}) macro of the script (Zabbix 7.0 and later).
      - Earlier versions fail with a clear message before anything runs.
    type: str
  concurrency:
    description:
      - How many C(script.execute) calls run at the same time when there are several targets.
      - Each running call holds a Zabbix server trapper process; the default leaves one of the 5 trappers of a
        stock server free. Raise C(StartTrappers) in C(zabbix_server.conf) before raising this.
    type: int
    default: 4
  fail_on_error:
    description:
      - Fail the task when the script failed on any target. With V(false), failures are only reported in RV(results).
    type: bool
    default: true
notes:
  - Zabbix scripts are not idempotent. The task reports RV(ignore:changed) when the script ran on any target.
  - In check mode nothing runs. The module resolves the script and targets, checks that the script's scope fits the
    targets, that it is not a URL script, that Zabbix offers it on every host (one C(host.get) limited to the script's host group and access), and
    that O(manualinput) passes the script's validator where Python can evaluate it.
seealso:
  - name: script.execute
    description: The Zabbix API method this module calls.
    link: https://www.zabbix.com/documentation/current/en/manual/api/reference/script/execute
"""

EXAMPLES = r"""
- name: Ping a host through the Zabbix server
  scriptbridge.core.zabbix_script_execute:
    url: https://zabbix.example.com
    api_token: "{{ zabbix_api_token }}"
    script: Ping
    host: web-01
  register: ping

- name: Run a script on many hosts, ten at a time, with a session that is logged out afterwards
  scriptbridge.core.zabbix_script_execute:
    url: https://zabbix.example.com/zabbix
    username: automation
    password: "{{ zabbix_password }}"
    script: Restart agent
    menu_path: Maintenance/Agents
    hosts: "{{ groups['web'] }}"
    concurrency: 10
    fail_on_error: false
  register: restart

- name: Show where it failed
  ansible.builtin.debug:
    msg: "{{ restart.results | selectattr('failed') | map(attribute='host') | list }}"

- name: Run an event script with user input (Zabbix 7.0 and later)
  scriptbridge.core.zabbix_script_execute:
    script_id: "42"
    event_id: "8812"
    manualinput: "2"
  module_defaults:
    group/scriptbridge.core.zabbix:
      url: https://zabbix.example.com
      api_token: "{{ zabbix_api_token }}"
"""

RETURN = r"""
results:
  description: One entry per target, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    host_id:
      description: Id of the host; for an event, of the event's first host.
      type: str
      returned: always
    host:
      description: Technical name of the host, where known.
      type: str
      returned: always
    event_id:
      description: Id of the event, or null for a host target.
      type: str
      returned: always
    response:
      description: The C(response) field of the answer (C(success)).
      type: str
      returned: when the script ran
    value:
      description: What the script printed.
      type: str
      returned: when the script ran
    value_json:
      description: RV(results[].value) parsed as JSON.
      type: raw
      returned: when the script ran and its output parses as JSON
    debug:
      description: Debug information of webhook scripts (C(logs), C(ms)); an empty dict for other scripts.
      type: dict
      returned: when the script ran
    would_execute:
      description: In check mode, whether the script would run on this target.
      type: bool
      returned: in check mode
    failed:
      description: Whether the script failed on this target.
      type: bool
      returned: always
    error:
      description: What went wrong on this target.
      type: dict
      returned: when failed
      contains:
        code:
          description: JSON-RPC error code, or null.
          type: int
        message:
          description: The error message.
          type: str
        data:
          description: The error data of the server; for a server-side script that exited non-zero, its output.
          type: raw
        kind:
          description:
            - One of V(auth), V(not_found_or_forbidden), V(invalid_params), V(unsupported), V(script_failed),
              V(server_unreachable), V(timeout), V(http), V(protocol).
          type: str
summary:
  description: How many targets there were and how many succeeded or failed.
  returned: success, or failure after targets ran
  type: dict
  contains:
    total:
      description: Number of targets.
      type: int
    succeeded:
      description: Number of targets where the script succeeded (or would run, in check mode).
      type: int
    failed:
      description: Number of targets where it failed.
      type: int
  sample: {"total": 3, "succeeded": 3, "failed": 0}
script:
  description: The script that ran.
  returned: success, or failure after targets ran
  type: dict
  contains:
    scriptid:
      description: Script id.
      type: str
    name:
      description: Script name.
      type: str
    type:
      description: Script type (0 script, 1 IPMI, 2 SSH, 3 Telnet, 5 webhook, 6 URL).
      type: int
    scope:
      description: Script scope (1 action operation, 2 manual host action, 4 manual event action).
      type: int
    execute_on:
      description: Where a type 0 script runs (0 agent, 1 server, 2 server or proxy).
      type: int
    menu_path:
      description: Menu path of the script.
      type: str
zabbix_version:
  description: The version the API reported.
  returned: when the server answered
  type: str
  sample: 7.0.5
response:
  description: With exactly one target, RV(results[].response) of that target.
  returned: with one target that ran
  type: str
value:
  description: With exactly one target, what the script printed.
  returned: with one target that ran
  type: str
value_json:
  description: With exactly one target, the output parsed as JSON.
  returned: with one target whose output parses as JSON
  type: raw
debug:
  description: With exactly one target, the debug information.
  returned: with one target that ran
  type: dict
error:
  description: When the task failed before any target ran, what went wrong (C(code), C(message), C(data), C(kind)).
  returned: on such failures
  type: dict
"""

from ansible_collections.scriptbridge.core.plugins.module_utils.core.module import ScriptBridgeModule
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.script_task import ZabbixScriptTask


def main():
    ScriptBridgeModule(ZabbixScriptTask).run()


if __name__ == "__main__":
    main()
