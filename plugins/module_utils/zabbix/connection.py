# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The Zabbix connection group: options, constraints, validation and the client factory.

``plugins/doc_fragments/zabbix.py`` documents exactly these options (a unit
test compares them); the transport options come from ``TRANSPORT``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import TRANSPORT, ConnectionGroup
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import ZabbixClient, check_credentials


class ZabbixConnection(ConnectionGroup):
    """One Zabbix API: its address, an API token or a user, and HTTP Basic in front of it."""

    fragment = "zabbix"
    includes = (TRANSPORT,)
    url_option = "url"
    required_together = (("http_username", "http_password"),)

    def argument_spec(self):
        return dict(
            url=dict(type="str", required=True, fallback=(env_fallback, ["ZABBIX_URL"])),
            api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["ZABBIX_API_TOKEN"])),
            username=dict(type="str", fallback=(env_fallback, ["ZABBIX_USERNAME"])),
            password=dict(type="str", no_log=True, fallback=(env_fallback, ["ZABBIX_PASSWORD"])),
            http_username=dict(type="str"),
            http_password=dict(type="str", no_log=True),
        )

    def validate(self, params):
        check_credentials(params.get("api_token"), params.get("username"), params.get("password"))

    def client_arguments(self, params):
        names = ("api_token", "username", "password", "http_username", "http_password")
        arguments = dict((name, params.get(name)) for name in names)
        arguments.update(TRANSPORT.client_arguments(params))
        return arguments

    def client(self, params, **settings):
        """A ``ZabbixClient``; ``settings`` add redactor, read_only, pool_size."""
        return ZabbixClient(params["url"], **dict(self.client_arguments(params), **settings))


ZABBIX = ZabbixConnection()
