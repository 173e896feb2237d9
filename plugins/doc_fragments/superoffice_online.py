# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Matches SuperOfficeOnline.argument_spec() in plugins/module_utils/superoffice/online/connection.py.
    DOCUMENTATION = r"""
options:
  tenant:
    description:
      - The tenant's context identifier, for example V(Cust12345).
      - The tenant-status service of O(environment) tells where the tenant's API lives; a tenant that is not running
        (C(Suspended), C(OfflineMaintenance), ...) is refused before anything runs, naming its state.
      - The answer about a running tenant is kept until its C(ValidUntil) (at most a day), so that the tasks and hosts
        after it do not ask again - in a file of the user the module runs as, in C(<temp>/scriptbridge-<uid>/) (mode
        0700; the file 0600; C(<temp>) is E(TMPDIR), else C(/tmp)). It holds no secret. A tenant that answers 421 (it
        moved) is asked about afresh.
      - If not set, the value of the E(SUPEROFFICE_TENANT) environment variable is used.
    type: str
  environment:
    description:
      - The SuperOffice Online environment - V(online) (production), V(sod) (development), V(qaonline) (stage; V(stage)
        is accepted as its old name) - or the C(http(s)) URL of an environment host (a proxy, a test instance).
      - The system user login, the signing keys, the token endpoint and the tenant-status service are asked there.
      - If not set, the value of the E(SUPEROFFICE_ENVIRONMENT) environment variable is used.
    type: str
    default: online
  system_user_token:
    description:
      - The tenant's system user token (C(Application Name-xxxxxxxx)), received when the tenant's administrator
        approved the application. It is signed with O(private_key) for each login.
      - If not set, the value of the E(SUPEROFFICE_SYSTEM_USER_TOKEN) environment variable is used.
    type: str
  private_key:
    description:
      - The application's RSA private key for this environment, as text - the RSA-XML (C(<RSAKeyValue>...)) the
        developer portal issues, or PEM. Nothing needs converting.
      - If not set, the value of the E(SUPEROFFICE_PRIVATE_KEY) environment variable is used.
      - Mutually exclusive with O(private_key_path).
    type: str
  private_key_path:
    description:
      - A file holding O(private_key), on the host that runs the module.
    type: path
  login_certificate:
    description:
      - The environment's federated-login certificate (C(SuperOfficeFederatedLogin.crt), PEM text) to validate the
        login service's token with, for hosts that cannot reach the environment's published keys (JWKS).
    type: str
  app_token:
    description:
      - The application's client secret (application token) for this environment - sent as the C(SO-AppToken)
        header with the tenant's API, as C(ApplicationToken) in the system user login, and as C(client_secret) in
        the refresh-token flow.
      - If not set, the value of the E(SUPEROFFICE_APP_TOKEN) environment variable is used.
    type: str
"""
