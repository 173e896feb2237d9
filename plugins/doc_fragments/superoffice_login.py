# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Matches SuperOfficeLogin.argument_spec() in plugins/module_utils/superoffice/online/connection.py.
    DOCUMENTATION = r"""
options:
  client_id:
    description:
      - The application's client id (Application ID), for the refresh-token flow.
      - If not set, the value of the E(SUPEROFFICE_CLIENT_ID) environment variable is used.
    type: str
  refresh_token:
    description:
      - A refresh token from the authorization-code flow; it lasts as long as the user's consent.
      - If not set, the value of the E(SUPEROFFICE_REFRESH_TOKEN) environment variable is used.
    type: str
"""
