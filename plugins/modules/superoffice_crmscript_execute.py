#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: superoffice_crmscript_execute
short_description: Run a SuperOffice CRMScript
version_added: 0.1.0
description:
  - Runs a CRMScript through the SuperOffice WebAPI (C(POST /api/v1/CRMScript/{id}/Execute), or the CRMScript agent's
    C(ExecuteScriptByIncludeId)) and returns what it printed.
  - The script is named by exactly one of O(script_id), O(unique_id), O(include_id) or O(name).
author:
  - scriptbridge.core maintainers (@scriptbridge)
extends_documentation_fragment:
  - scriptbridge.core.superoffice
  - scriptbridge.core.superoffice_online
  - scriptbridge.core.transport
  - scriptbridge.core.attributes
  - scriptbridge.core.attributes.ACTIONGROUP_SUPEROFFICE
options:
  script_id:
    description:
      - The script's numeric id (EjscriptId).
    type: int
    aliases: [crmscript_id, id]
  unique_id:
    description:
      - The script's UniqueIdentifier, run through C(POST /api/v1/CRMScript/{uniqueId}/Execute). A unique id that
        looks like a number, which that URL would read as an id, goes through the agent's C(ExecuteScriptByUniqueId).
    type: str
  include_id:
    description:
      - The script's IncludeId, run through C(Agents/CRMScript/ExecuteScriptByIncludeId).
    type: str
  name:
    description:
      - The script's name, looked up in the CRMScript list. An exact match wins over one that differs in case only.
      - No match fails and lists scripts with similar names; several matches fail and list them.
    type: str
  parameters:
    description:
      - Variables for the script, read there with C(getVariable("name")).
      - The API takes text only - numbers and booleans are sent as text (V(true), V(false)), lists and dicts as JSON
        text, null as an empty string.
    type: dict
notes:
  - CRMScripts are not idempotent. The task always reports RV(ignore:changed) when the script ran, and when a failure
    leaves open whether it ran (a timeout, a script error).
  - In check mode the script is looked up (it must exist and be visible) but not run; RV(output) is absent and
    RV(ignore:changed) is true. O(script_id) is looked up with C(GET /api/v1/CRMScript/{id}), the others in the
    CRMScript list.
  - In SuperOffice Online, the CRMScript agent must be enabled for the application when it is registered.
seealso:
  - module: scriptbridge.core.superoffice_event_handlers
"""

EXAMPLES = r"""
- name: Run a CRMScript with parameters
  scriptbridge.core.superoffice_crmscript_execute:
    url: https://crm.example.com/SuperOffice
    ticket: "{{ superoffice_ticket }}"
    script_id: 195
    parameters:
      personId: 27
  register: run

- name: Run a script by name in SuperOffice Online and use its JSON output
  scriptbridge.core.superoffice_crmscript_execute:
    url: https://online2.superoffice.com/Cust12345
    ticket: "{{ system_user_ticket }}"
    app_token: "{{ client_secret }}"
    name: Open tickets per company
  register: report

- name: Show it
  ansible.builtin.debug:
    var: report.output_json
"""

RETURN = r"""
output:
  description: What the script printed.
  returned: when the script ran
  type: str
  sample: Person saved!
output_json:
  description: RV(output) parsed as JSON.
  returned: when the script ran and its output parses as JSON
  type: raw
script:
  description: The script that ran, as far as known.
  returned: success
  type: dict
  contains:
    id:
      description: EjscriptId.
      type: int
    unique_id:
      description: UniqueIdentifier.
      type: str
    include_id:
      description: IncludeId.
      type: str
    name:
      description: Name.
      type: str
error:
  description: What went wrong - C(code) (the HTTP status), C(message), C(data) (the SuperOffice error body), C(kind).
  returned: failure
  type: dict
"""

from ansible_collections.scriptbridge.core.plugins.module_utils.core.module import ScriptBridgeModule
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.crmscript_task import CrmScriptTask


def main():
    ScriptBridgeModule(CrmScriptTask).run()


if __name__ == "__main__":
    main()
