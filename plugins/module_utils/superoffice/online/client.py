# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""A SuperOffice client for an Online tenant named by its id, logged in as its system user if asked.

``OnlineSuperOfficeClient`` is a ``SuperOfficeClient`` whose address comes from
the tenant-status service (``tenant`` instead of ``url``) and whose ticket can be
minted for the tenant's system user (``system_user_token`` and ``private_key``).
Two answers are known to mean that nothing was processed, and each leads to one
more attempt of the same request:

* 421 Misdirected Request, when the address came from the tenant status (no
  ``url`` was given): the tenant moved; its status is asked once more, never
  from the ``status_cache`` (a ``StatusCache``, which otherwise may answer
  instead of the service).
* 401 Unauthorized, when the module minted the ticket: one new login.

A 401 on a ticket the user gave is not repeated; the message says how to get a
new one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import SuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.login_service import (
    system_user_login,
    tenant_status,
)


class OnlineSuperOfficeClient(SuperOfficeClient):
    """Tenant discovery and the system user login in front of a ``SuperOfficeClient``."""

    def __init__(self, url=None, *, tenant=None, environment=None, system_user_token=None, private_key=None,
                 login_certificate=None, status_cache=None, **arguments):
        arguments["redactor"] = arguments.get("redactor") or Redactor()
        self._arguments = arguments
        self._tenant = tenant
        # The address comes from the tenant status unless a url was given (which then wins).
        self._discovered = url is None
        self._environment = environment
        self._status_cache = status_cache
        self._system_user = (system_user_token, private_key, login_certificate) if system_user_token else None
        # Read-only in check mode like the tenant's transport: the status and login exchanges say they only read.
        self._service = HttpTransport(validate_certs=arguments.get("validate_certs", True),
                                      ca_path=arguments.get("ca_path"), timeout=arguments.get("timeout"), pool_size=1,
                                      redactor=arguments["redactor"], read_only=arguments.get("read_only", False))
        try:
            url = self._discover() if self._discovered else url
            if self._system_user:
                arguments["ticket"] = self._mint()
            super(OnlineSuperOfficeClient, self).__init__(url, **arguments)
        except Exception:
            self._service.close()
            raise

    def _discover(self, fresh=False):
        """The tenant's current address, kept or ``fresh``ly asked; refuses a tenant that is not running."""
        status = tenant_status(self._service, self._environment, self._tenant, self._status_cache, fresh)
        self._tenant = status.tenant
        return status.url

    def _mint(self):
        """A new ticket for the tenant's system user."""
        token, key, certificate = self._system_user
        return system_user_login(self._service, self._environment, self._tenant, token, key,
                                 self._arguments.get("app_token") or "", certificate).credential

    def _reopen(self, url, **changes):
        self.transport.close()
        self._arguments.update(changes)
        super(OnlineSuperOfficeClient, self).__init__(url, **self._arguments)

    def _recovered(self, error):
        """Whether ``error`` was a 421 or 401 that one new status call or login can cure (and it was done)."""
        if error.status == 421 and self._discovered:
            self._reopen(self._discover(fresh=True))
            return True
        if error.status == 401 and self._system_user:
            self._reopen(self.url, ticket=self._mint())
            return True
        return False

    def request(self, method, path, payload=None, params=None, action=None, acts=None):
        try:
            return super(OnlineSuperOfficeClient, self).request(method, path, payload, params, action, acts)
        except ScriptBridgeError as error:
            if not self._recovered(error):
                raise
        return super(OnlineSuperOfficeClient, self).request(method, path, payload, params, action, acts)

    def close(self):
        self._service.close()
        super(OnlineSuperOfficeClient, self).close()
