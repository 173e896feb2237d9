#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Only the documentation: the work is done by the action plugin of the same name (plugins/action/), because
# the option "message" is a name that module argument specs may not use.

DOCUMENTATION = r"""
module: zabbix_event_acknowledge
short_description: Acknowledge, comment, close or re-rate Zabbix problems, once
version_added: 0.2.0
description:
  - Writes into Zabbix problems (C(event.acknowledge)) what automation did, so that operators see it in the
    problem view and a later run finds it.
  - Every event is read first, in one C(event.get); nothing is written unless every event exists, is visible to
    the user, is a problem event (not a recovery event) and, with O(close), has a trigger that allows manual close.
  - Then one C(event.acknowledge) writes the same action into every problem that needs it.
  - With O(once), a problem whose acknowledgement messages already contain the marker is left alone and reported
    as not changed, which makes the task idempotent.
author:
  - scriptbridge.core maintainers (@scriptbridge)
extends_documentation_fragment:
  - scriptbridge.core.zabbix
  - scriptbridge.core.transport
  - scriptbridge.core.attributes
  - scriptbridge.core.attributes.ACTIONGROUP_ZABBIX
options:
  eventids:
    description:
      - Ids of the problem events, for example C({EVENT.ID}) of a Zabbix action, in the order the result lists them.
      - A recovery event is refused; give the problem event it resolved.
    type: list
    elements: str
    required: true
  message:
    description:
      - Text added to each problem (a message in its history), at most 2048 characters together with O(once).
    type: str
  acknowledge:
    description:
      - Acknowledge each problem. A problem that is already acknowledged stays so.
      - V(false) does not unacknowledge; it only leaves the acknowledgement as it is.
    type: bool
    default: true
  close:
    description:
      - Close each problem. Zabbix closes only problems whose trigger allows manual close; the task fails before
        writing anything when one does not.
    type: bool
    default: false
  severity:
    description:
      - Change the severity of each problem (0 not classified, 1 information, 2 warning, 3 average, 4 high,
        5 disaster).
    type: int
  once:
    description:
      - A marker, for example C(scriptbridge:4711). A problem whose acknowledgement messages already contain it is
        left alone (reported with RV(events[].changed) false and the reason in RV(events[].skipped)).
      - The marker is written in front of O(message) unless the message contains it already; without O(message)
        the marker alone is the message.
    type: str
notes:
  - Without O(once), O(message) adds a message each time the task runs. Acknowledging an acknowledged problem,
    closing a resolved one or setting the severity it has changes nothing, and such a problem is reported as
    not changed.
  - The user needs read access to the events' hosts to acknowledge and add messages, read-write access to close
    a problem or change its severity (checked before anything is written), and a user role that allows the
    actions used (Acknowledge problems, Add problem comments, Close problems, Change problem severity). A role
    refusal is only found when writing; check mode cannot see it.
  - The module runs on the controller, as an action plugin.
  - In check mode nothing is written. The module reads the events and says which would change.
seealso:
  - name: event.acknowledge
    description: The Zabbix API method this module calls.
    link: https://www.zabbix.com/documentation/current/en/manual/api/reference/event/acknowledge
  - module: scriptbridge.core.zabbix_script_execute
"""

EXAMPLES = r"""
- name: Tell the operators which ticket belongs to the problem, only once
  scriptbridge.core.zabbix_event_acknowledge:
    url: https://zabbix.example.com
    api_token: "{{ zabbix_api_token }}"
    eventids: ["8812"]
    message: SuperOffice ticket 4711
    once: "scriptbridge:8812"
  register: ledger

- name: Say whether it was written now or found from an earlier run
  ansible.builtin.debug:
    msg: "{{ ledger.events | map(attribute='skipped') | list }}"

- name: Add a comment to several problems without acknowledging them
  scriptbridge.core.zabbix_event_acknowledge:
    eventids: ["8812", "8813"]
    message: Restarted the agent; watching.
    acknowledge: false
  module_defaults:
    group/scriptbridge.core.zabbix:
      url: https://zabbix.example.com
      api_token: "{{ zabbix_api_token }}"

- name: Raise a problem to high and close it (its trigger allows manual close)
  scriptbridge.core.zabbix_event_acknowledge:
    url: https://zabbix.example.com/zabbix
    api_token: "{{ zabbix_api_token }}"
    eventids: ["8814"]
    severity: 4
    close: true
    message: Closed by the remediation playbook
"""

RETURN = r"""
events:
  description: One entry per event, in the order of O(eventids).
  returned: success
  type: list
  elements: dict
  contains:
    eventid:
      description: Id of the event.
      type: str
      returned: always
    changed:
      description: Whether the task wrote into this problem (in check mode, whether it would).
      type: bool
      returned: always
    skipped:
      description:
        - Why the problem was left alone, for example C(already carries the marker scriptbridge:8812) or
          C(already acknowledged); null when it changed.
      type: str
      returned: always
  sample: [{"eventid": "8812", "changed": false, "skipped": "already carries the marker scriptbridge:8812"}]
zabbix_version:
  description: The version the API reported.
  returned: when the server answered
  type: str
  sample: 7.0.9
error:
  description: When the task failed, what went wrong (C(code), C(message), C(data), C(kind)).
  returned: on failure
  type: dict
"""
