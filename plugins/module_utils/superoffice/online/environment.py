# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""SuperOffice Online's environments and tenant ids, as options name them.

An environment is ``online``, ``sod`` or ``qaonline`` (``stage``), each
the host of the login service, its keys, the OAuth token endpoint and the
tenant-status service; or the URL of such a host. A tenant is its context
identifier (``Cust12345``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError


# The documented environment names and the host each one lives on; "stage" is the old name of qaonline.
ENVIRONMENTS = {"online": "online", "sod": "sod", "qaonline": "qaonline", "stage": "qaonline"}
DEFAULT_ENVIRONMENT = "online"
_TENANT = re.compile(r"^[A-Za-z]+[0-9]+$")


def environment_url(environment):
    """The environment host's base URL: ``https://online.superoffice.com`` or the URL given."""
    name = (environment or DEFAULT_ENVIRONMENT).strip()
    if name.lower() in ENVIRONMENTS:
        return "https://%s.superoffice.com" % ENVIRONMENTS[name.lower()]
    parts = urlsplit(name)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("environment %r is neither online, sod, qaonline (stage) nor the http(s) URL of an "
                          "environment host." % name)
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise OptionError("environment: give the environment host's URL without user info, query or fragment.")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def environment_name(environment):
    """How messages name the environment: ``online`` or the URL."""
    name = (environment or DEFAULT_ENVIRONMENT).strip()
    return ENVIRONMENTS.get(name.lower(), name)


def check_tenant(tenant):
    """The context identifier (``Cust12345``) as given, or an error before anything is sent."""
    text = (tenant or "").strip()
    if not _TENANT.match(text):
        raise OptionError("tenant %r is not a SuperOffice context identifier: give it as Cust12345 (the part of the "
                          "tenant's URL after the host)." % text)
    return text
