# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Matches SuperOfficeConnection.argument_spec() in plugins/module_utils/superoffice/connection.py.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the SuperOffice installation (Onsite, for example C(https://crm.example.com/SuperOffice))
        or tenant (Online, for example C(https://sod2.superoffice.com/Cust12345)).
      - A trailing C(/), C(/api) or C(/api/v1) is accepted.
      - A host under C(superoffice.com) is SuperOffice Online, which refuses O(username)/O(password) and needs
        O(app_token) with O(ticket), before anything is sent. Any other host is not judged by the shape of its path -
        the server decides, and a 401 says what Online and Onsite each accept.
      - Online tenants are served from numbered sub-domains (C(online2), C(sod2)) that change; the bare C(online)
        and C(sod) hosts answer 421, which the module explains. Give O(tenant) instead to have the address looked up.
      - Exactly one of O(url) and O(tenant) is needed; when both are given, O(url) wins and no lookup is made.
      - If not set, the value of the E(SUPEROFFICE_URL) environment variable is used.
    type: str
  username:
    description:
      - 'User name for C(Authorization: Basic) (Onsite only).'
      - If not set, the value of the E(SUPEROFFICE_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(SUPEROFFICE_PASSWORD) environment variable is used.
    type: str
  ticket:
    description:
      - 'A SuperOffice ticket (C(7T:...)), sent as C(Authorization: SOTicket <ticket>). Online needs O(app_token) with it.'
      - A leading C(SOTicket) scheme name, pasted with the ticket, is dropped.
      - If not set, the value of the E(SUPEROFFICE_TICKET) environment variable is used.
    type: str
  access_token:
    description:
      - 'An access token (C(8A:...)), sent as C(Authorization: Bearer <token>) (Online).'
      - A leading C(Bearer) scheme name, pasted with the token, is dropped.
      - If not set, the value of the E(SUPEROFFICE_ACCESS_TOKEN) environment variable is used.
    type: str
  xsrf_token:
    description:
      - Value of the C(XSRF-TOKEN) of a logged-in web session, sent as the C(X-XSRF-TOKEN) header without an
        C(Authorization) header.
      - The server finds the session by its cookies; give them in O(session_cookie).
    type: str
  session_cookie:
    description:
      - The C(Cookie) header of the web session that O(xsrf_token) belongs to, as a browser sends it
        (C(name=value; name2=value2)). Only with O(xsrf_token).
    type: str
  language:
    description:
      - Language code (for example V(en)) sent as C(Accept-Language) and C(SO-Language).
    type: str
  culture:
    description:
      - Culture for number and date formatting, sent as C(SO-Culture). SuperOffice ignores it without O(language).
    type: str
  time_zone:
    description:
      - Time zone id or code (for example V(261), V(NO) or V(US-NY)), sent as C(SO-TimeZone).
    type: str
  headers:
    description:
      - Extra request headers. C(Authorization), C(SO-AppToken), C(X-XSRF-TOKEN) and C(Cookie) are refused -
        credentials belong in the options above, which are kept out of logs.
    type: dict
notes:
  - Exactly one way to authenticate is required - O(username) and O(password), O(ticket), O(access_token), or O(xsrf_token).
"""
