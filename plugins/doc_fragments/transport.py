# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Matches TransportGroup.argument_spec() in plugins/module_utils/core/connection.py.
    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the server's TLS certificate. Turning this off is for tests only and produces a warning.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificates that signed the server's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer. The default outlasts the 60 seconds a Zabbix script or a CRMScript may run.
    type: int
    default: 90
notes:
  - Run it on the controller (C(delegate_to) V(localhost), or a play on localhost); it needs the Python library C(requests).
  - A request is sent again only when the server certainly did not act on it (no connection, HTTP 429 or 503);
    a timeout or a broken connection after a request that runs a script is never repeated.
requirements:
  - requests
"""
