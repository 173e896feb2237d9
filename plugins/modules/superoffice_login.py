#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: superoffice_login
short_description: Log in to SuperOffice Online once, for the tasks that follow
version_added: 0.2.0
description:
  - Logs in to SuperOffice Online without a person - with the tenant's system user, or with a refresh token - and
    returns a ticket or access token that later tasks reuse through C(module_defaults), so that a play logs in once.
  - B(System user.) Signs the tenant's O(system_user_token) with the application's O(private_key), exchanges it at
    the environment's C(PartnerSystemUser/Authenticate), validates the returned JWT (RS256 only; signature against
    the environment's published keys or O(login_certificate); issuer C(SuperOffice AS); audience C(spn:<serial>);
    expiry) and returns its ticket. Each login creates a credentials record in the CRM; the ticket lives 6 hours
    from its last use.
  - B(Refresh token.) Exchanges O(refresh_token) for an access token (Bearer, one hour) at the environment's token
    endpoint.
  - Before the system user logs in, the tenant-status service is asked where the tenant lives; a tenant that is not
    running is refused, naming its state. RV(url) is the address it gave.
  - The ticket or token is never displayed, at any verbosity - the task's output is hidden as with C(no_log) - while
    the registered variable keeps it.
  - B(Once per run.) In a play over many hosts the login happens once, with or without C(run_once), and every host's
    registered variable receives its result; a later C(superoffice_login) with the same options (and the same
    C(SUPEROFFICE_*) environment and check mode) in the same C(ansible-playbook) run reuses it without logging in
    again, for up to 5 hours 50 minutes for a ticket and until 5 minutes before an access token expires. The result
    is shared between the controller's worker processes in memory only; nothing of it is written to disk. A refused
    login is shared only with the other hosts of the same task.
  - The tenant-status answer is kept until its C(ValidUntil) for the tasks after the login; see
    O(scriptbridge.core.superoffice_crmscript_execute#module:tenant).
author:
  - scriptbridge.core maintainers (@scriptbridge)
extends_documentation_fragment:
  - scriptbridge.core.superoffice_login
  - scriptbridge.core.superoffice_online
  - scriptbridge.core.transport
  - scriptbridge.core.attributes
  - scriptbridge.core.attributes.ACTIONGROUP_SUPEROFFICE
attributes:
  check_mode:
    support: full
    details:
      - Logs in in check mode too (it changes nothing), so that the tasks after it can check what they would do.
notes:
  - Exactly one flow - the system user (O(system_user_token), O(private_key) or O(private_key_path), O(app_token),
    O(tenant)) or the refresh token (O(client_id), O(app_token), O(refresh_token); O(tenant) to get RV(url)).
  - It needs the Python libraries C(cryptography) and C(PyJWT) for the system user flow.
  - RV(ignore:changed) is always false.
  - Reusing the login needs the C(linear) or C(free) strategy (the ones ansible-core ships), which load the action
    plugin before they start the workers; elsewhere each host logs in itself.
requirements:
  - cryptography
  - PyJWT
seealso:
  - module: scriptbridge.core.superoffice_crmscript_execute
  - module: scriptbridge.core.superoffice_event_handlers
"""

EXAMPLES = r"""
- name: Log in as the tenant's system user
  scriptbridge.core.superoffice_login:
    tenant: Cust12345
    environment: online
    system_user_token: "{{ vault_system_user_token }}"
    private_key: "{{ vault_private_key }}"
    app_token: "{{ vault_client_secret }}"
  register: login

- name: Run a CRMScript with the login's ticket
  scriptbridge.core.superoffice_crmscript_execute:
    url: "{{ login.url }}"
    ticket: "{{ login.ticket }}"
    app_token: "{{ vault_client_secret }}"
    include_id: nightly_cleanup

- name: Refresh an access token instead
  scriptbridge.core.superoffice_login:
    tenant: Cust12345
    environment: online
    client_id: "{{ superoffice_client_id }}"
    app_token: "{{ vault_client_secret }}"
    refresh_token: "{{ vault_refresh_token }}"
  register: refreshed

- name: Run the event handlers with the access token
  scriptbridge.core.superoffice_event_handlers:
    url: "{{ refreshed.url }}"
    access_token: "{{ refreshed.access_token }}"
    event_type: TicketSave
    input_values:
      ticket.id: "4711"
"""

RETURN = r"""
ticket:
  description: The system user's ticket, for O(scriptbridge.core.superoffice_crmscript_execute#module:ticket). Never
    displayed; the registered variable holds it.
  returned: system user flow
  type: str
access_token:
  description: The access token (Bearer), for O(scriptbridge.core.superoffice_crmscript_execute#module:access_token).
    Never displayed; the registered variable holds it.
  returned: refresh-token flow
  type: str
url:
  description: The tenant's installation base, from the tenant-status service, usable as the C(url) option.
  returned: when the tenant is known
  type: str
  sample: https://online2.superoffice.com/Cust12345
tenant:
  description: The tenant's context identifier.
  returned: when known
  type: str
  sample: Cust12345
refresh_token:
  description: The new refresh token, when the token endpoint replaced the one given. The one given may no longer
    work, so store this one where the next run reads its O(refresh_token) (a vault file, an AWX credential). Never
    displayed; the registered variable holds it.
  returned: refresh-token flow, when the token endpoint sends a new refresh token
  type: str
expires:
  description: When the access token expires (ISO 8601 UTC). A ticket has no fixed end - it lives 6 hours from its
    last use.
  returned: refresh-token flow, when the token endpoint tells
  type: str
  sample: "2026-03-04T06:06:07Z"
error:
  description: What went wrong - C(code), C(message), C(data), C(kind).
  returned: failure
  type: dict
"""

from ansible_collections.scriptbridge.core.plugins.module_utils.core.module import ScriptBridgeModule
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.login_task import LoginTask


def main():
    ScriptBridgeModule(LoginTask).run()


if __name__ == "__main__":
    main()
