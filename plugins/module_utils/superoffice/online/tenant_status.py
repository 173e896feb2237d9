# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""What the tenant-status service says about a tenant: its state, whether it runs, its address."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.environment import environment_name


# TenantState of the tenant-status service, by number and name.
TENANT_STATES = {
    0: "Unknown", 1: "Provisioning", 2: "Running", 3: "Deleted", 4: "Suspended", 5: "OnlineMaintenance",
    6: "OfflineMaintenance", 8: "ProvisioningFailed", 10: "Deleting", 11: "DeleteFailed", 12: "MigrationPending",
}
RUNNING_STATES = ("Running", "OnlineMaintenance")


_STATE_HINTS = {
    "Unknown": "SuperOffice does not know this tenant in this environment: check tenant and environment",
    "Provisioning": "the tenant is still being created: try again when it is ready",
    "ProvisioningFailed": "creating the tenant failed: ask SuperOffice support",
    "Deleted": "the tenant was deleted",
    "Deleting": "the tenant is being deleted",
    "DeleteFailed": "the tenant was being deleted",
    "Suspended": "the tenant is suspended and its APIs are not available",
    "OfflineMaintenance": "the tenant is in offline maintenance and its APIs are not available: try again later",
    "MigrationPending": "the tenant is waiting to be moved: try again later",
}


def state_name(value):
    """The TenantState name for a name or number."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return TENANT_STATES.get(value, "state %d" % value)
    return str(value) if value not in (None, "") else "Unknown"


class TenantStatus:
    """What the tenant-status service says about one tenant."""

    def __init__(self, tenant, answer):
        self.tenant = tenant
        self.state = state_name(answer.get("State"))
        running = answer.get("IsRunning")
        self.running = running if isinstance(running, bool) else self.state in RUNNING_STATES
        self.api = answer.get("Api") if isinstance(answer.get("Api"), str) else None
        self.endpoint = answer.get("Endpoint") if isinstance(answer.get("Endpoint"), str) else None
        self.valid_until = answer.get("ValidUntil")

    @property
    def url(self):
        """The tenant's installation base (``https://online2.superoffice.com/Cust12345``)."""
        base = self.api or self.endpoint
        return re.sub(r"/api(/v1)?/*$", "", base.rstrip("/"), flags=re.IGNORECASE) if base else None

    def check_running(self, environment):
        """Refuse a tenant whose APIs are not available, naming its state."""
        if not self.running:
            hint = _STATE_HINTS.get(self.state, "its APIs are not available")
            raise ScriptBridgeError("SuperOffice tenant %s in environment %s is %s: %s."
                                    % (self.tenant, environment_name(environment), self.state, hint),
                                    kind="unsupported", nothing_ran=True)
        if not self.url:
            raise ScriptBridgeError("The tenant-status service says tenant %s is %s but gives no API address (Api or "
                                    "Endpoint)." % (self.tenant, self.state), kind="protocol", nothing_ran=True)
        return self
