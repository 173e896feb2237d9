# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # With the transport fragment, matches ZabbixConnection.argument_spec() in plugins/module_utils/zabbix/connection.py.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Address of the Zabbix frontend, for example C(https://zbx.example.com) or C(https://host/zabbix),
        or the full API endpoint ending in C(api_jsonrpc.php).
      - If not set, the value of the E(ZABBIX_URL) environment variable is used.
    type: str
    required: true
  api_token:
    description:
      - A Zabbix API token (64 characters, Zabbix 5.4 and later).
      - The module never logs a token out.
      - Zabbix 5.4 and 6.0 cannot run C(script.execute) with an API token (its frontend fails with HTTP 500);
        the module says so before anything runs. Use O(username) and O(password) with these versions.
      - If not set, the value of the E(ZABBIX_API_TOKEN) environment variable is used.
      - Mutually exclusive with O(username) and O(password).
    type: str
  username:
    description:
      - Zabbix user to log in with C(user.login). The session is logged out when the module ends.
      - If not set, the value of the E(ZABBIX_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(ZABBIX_PASSWORD) environment variable is used.
    type: str
  http_username:
    description:
      - User name for HTTP Basic authentication by a web server in front of the API.
    type: str
  http_password:
    description:
      - Password for HTTP Basic authentication, with O(http_username).
    type: str
notes:
  - The module detects the API version with C(apiinfo.version) and sends credentials the way that version
    expects (C(auth) in the request body before 6.4, an C(Authorization) header from 6.4).
"""
