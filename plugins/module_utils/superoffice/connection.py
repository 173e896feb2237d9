# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The SuperOffice connection group: options, validation, secrets and the client factory.

``plugins/doc_fragments/superoffice.py`` documents exactly these options (a
unit test compares them); the transport options come from ``TRANSPORT``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import (
    TRANSPORT,
    ConnectionGroup,
    settle,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import (
    SuperOfficeClient,
    check_credentials,
    secret_header_values,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.client import OnlineSuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.connection import (
    SUPEROFFICE_ONLINE,
    SYSTEM_USER_OPTIONS,
    login_options,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.login_service import check_flow
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.urls import is_online

CREDENTIAL_OPTIONS = ("username", "password", "ticket", "access_token", "xsrf_token", "session_cookie", "app_token")
OTHER_OPTIONS = ("language", "culture", "time_zone", "headers")
# Any of these set, the system user options are not used (see SuperOfficeConnection.resolve).
GIVEN_CREDENTIALS = ("username", "password", "ticket", "access_token", "xsrf_token")


def uses_system_user(params):
    """Whether the module logs the tenant's system user in itself."""
    wants = any(params.get(name) for name in SYSTEM_USER_OPTIONS)
    return wants and not any(params.get(name) for name in GIVEN_CREDENTIALS)


class SuperOfficeConnection(ConnectionGroup):
    """One SuperOffice installation or tenant, and exactly one way to authenticate to it."""

    fragment = "superoffice"
    includes = (TRANSPORT, SUPEROFFICE_ONLINE)
    url_option = "url"
    required_one_of = (("url", "tenant"),)

    def argument_spec(self):
        return dict(
            url=dict(type="str", fallback=(env_fallback, ["SUPEROFFICE_URL"])),
            username=dict(type="str", fallback=(env_fallback, ["SUPEROFFICE_USERNAME"])),
            password=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_PASSWORD"])),
            ticket=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_TICKET"])),
            access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_ACCESS_TOKEN"])),
            xsrf_token=dict(type="str", no_log=True),
            session_cookie=dict(type="str", no_log=True),
            language=dict(type="str"),
            culture=dict(type="str"),
            time_zone=dict(type="str"),
            headers=dict(type="dict"),
        )

    def resolve(self, params, given):
        """Exactly one of url or tenant, and one way to authenticate, among the options the task sets.

        An automation platform credential may inject ``SUPEROFFICE_TENANT`` and the
        system user into every task; a task's own url or credentials win over them.
        """
        settle(params, given, ("url",), ("tenant",), OptionError(
            "Give either url or tenant (with environment), not both: url is the address of the installation, "
            "tenant lets the tenant status service find it (also check SUPEROFFICE_URL and SUPEROFFICE_TENANT)."))
        settle(params, given, GIVEN_CREDENTIALS, SYSTEM_USER_OPTIONS, OptionError(
            "Give one way to authenticate: %s, or the system user (system_user_token with private_key or "
            "private_key_path), not both (also check the SUPEROFFICE_* environment variables)."
            % ", ".join(GIVEN_CREDENTIALS)))

    def validate(self, params):
        """Exactly one way to authenticate, as the URL allows (a tenant found by its id is Online)."""
        if uses_system_user(params):
            check_flow("system_user", login_options(params))
            if params.get("url") is not None:
                is_online(params["url"])  # a url that cannot be one is refused before the login
            return
        # A url given empty is refused as such by is_online(); only an absent one means "ask the tenant status".
        online = is_online(params["url"]) if params.get("url") is not None else True
        check_credentials(online, **dict((name, params.get(name)) for name in CREDENTIAL_OPTIONS))

    def secrets(self, params):
        """Credentials given in ``headers`` are refused, but must not show meanwhile."""
        return super(SuperOfficeConnection, self).secrets(params) + secret_header_values(params.get("headers"))

    def client_arguments(self, params):
        arguments = dict((name, params.get(name)) for name in CREDENTIAL_OPTIONS + OTHER_OPTIONS)
        arguments.update(TRANSPORT.client_arguments(params))
        return arguments

    def client(self, params, **settings):
        """A ``SuperOfficeClient``; ``settings`` add redactor and read_only.

        Without a url, or for the system user, an ``OnlineSuperOfficeClient``: it finds the
        tenant's address and logs the system user in first.
        """
        arguments = dict(self.client_arguments(params), **settings)
        system_user = uses_system_user(params)
        if params.get("url") is not None and not system_user:
            return SuperOfficeClient(params["url"], **arguments)
        online = SUPEROFFICE_ONLINE.client_arguments(params)
        if settings.get("redactor") is not None and online.get("private_key"):
            settings["redactor"].add(online["private_key"])
        if not system_user:
            online.update(system_user_token=None, private_key=None)
        return OnlineSuperOfficeClient(params.get("url"), **dict(arguments, **online))


SUPEROFFICE = SuperOfficeConnection()
