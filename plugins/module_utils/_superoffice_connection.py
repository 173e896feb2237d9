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

from ansible_collections.scriptbridge.core.plugins.module_utils._connection import TRANSPORT, ConnectionGroup
from ansible_collections.scriptbridge.core.plugins.module_utils._superoffice import (
    SuperOfficeClient,
    check_credentials,
    secret_header_values,
)
from ansible_collections.scriptbridge.core.plugins.module_utils._superoffice_api import is_online

CREDENTIAL_OPTIONS = ("username", "password", "ticket", "access_token", "xsrf_token", "session_cookie", "app_token")
OTHER_OPTIONS = ("language", "culture", "time_zone", "headers")


class SuperOfficeConnection(ConnectionGroup):
    """One SuperOffice installation or tenant, and exactly one way to authenticate to it."""

    fragment = "superoffice"
    includes = (TRANSPORT,)
    url_option = "url"

    def argument_spec(self):
        return dict(
            url=dict(type="str", required=True, fallback=(env_fallback, ["SUPEROFFICE_URL"])),
            username=dict(type="str", fallback=(env_fallback, ["SUPEROFFICE_USERNAME"])),
            password=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_PASSWORD"])),
            ticket=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_TICKET"])),
            access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_ACCESS_TOKEN"])),
            app_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_APP_TOKEN"])),
            xsrf_token=dict(type="str", no_log=True),
            session_cookie=dict(type="str", no_log=True),
            language=dict(type="str"),
            culture=dict(type="str"),
            time_zone=dict(type="str"),
            headers=dict(type="dict"),
        )

    def validate(self, params):
        """Exactly one way to authenticate, as the URL (Online or Onsite) allows."""
        check_credentials(is_online(params["url"]), **dict((name, params.get(name)) for name in CREDENTIAL_OPTIONS))

    def secrets(self, params):
        """Credentials given in ``headers`` are refused, but must not show meanwhile."""
        return super(SuperOfficeConnection, self).secrets(params) + secret_header_values(params.get("headers"))

    def client_arguments(self, params):
        arguments = dict((name, params.get(name)) for name in CREDENTIAL_OPTIONS + OTHER_OPTIONS)
        arguments.update(TRANSPORT.client_arguments(params))
        return arguments

    def client(self, params, **settings):
        """A ``SuperOfficeClient``; ``settings`` add redactor and read_only."""
        return SuperOfficeClient(params["url"], **dict(self.client_arguments(params), **settings))


SUPEROFFICE = SuperOfficeConnection()
