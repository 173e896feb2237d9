# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Where the SuperOffice WebAPI lives: installation and tenant URLs, pure functions.

Where ``/api/v1`` lives for Onsite installations and Online tenants, whether a
URL is an Online tenant's, its tenant id, and where the tenant-status service
tells its address. No requests are made here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import check_base_url
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import display_url


_API_SUFFIX = re.compile(r"(/api(/v1)?)?/*$", re.IGNORECASE)
# A tenant id ("context identifier") is "Cust" and digits.
_TENANT = re.compile(r"^Cust\d+$", re.IGNORECASE)
# One documentation page writes the REST root of a tenant as .../api/v1/Cust12345.
_API_BEFORE_TENANT = re.compile(r"^/api(/v1)?/(Cust\d+)/*$", re.IGNORECASE)
_ONLINE_HOST = re.compile(r"(^|\.)superoffice\.com$", re.IGNORECASE)
# Online environments: the host of the authentication and tenant-state services.
_ONLINE_ENVIRONMENTS = ("online", "sod", "qaonline", "stage")


def base_url(url):
    """The installation or tenant base URL: no trailing ``/``, ``/api`` or ``/api/v1``."""
    url = check_base_url(url)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise OptionError("The url option %r has a query or fragment; give the installation's or tenant's base URL only, "
                          "for example https://crm.example.com/SuperOffice or https://online2.superoffice.com/Cust12345."
                          % display_url(url))
    path = parts.path
    misplaced = _API_BEFORE_TENANT.match(path)
    if misplaced:
        path = "/" + misplaced.group(2)
    path = _API_SUFFIX.sub("", path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def api_url(url):
    """The ``.../api/v1/`` root from an installation or tenant base URL."""
    return base_url(url) + "/api/v1/"


def tenant_id(url):
    """The Online tenant id (``Cust12345``) when the base URL is a tenant URL, else None."""
    segments = [part for part in urlsplit(base_url(url)).path.split("/") if part]
    if len(segments) == 1 and _TENANT.match(segments[0]):
        return segments[0]
    return None


def is_online(url):
    """SuperOffice Online: a host under superoffice.com. No other host is judged by the shape of its path."""
    return bool(_ONLINE_HOST.search(urlsplit(base_url(url)).hostname or ""))


def tenant_state_url(url):
    """Where the tenant-status service tells the API host of this tenant."""
    host = (urlsplit(base_url(url)).hostname or "").lower()
    match = re.match(r"^([a-z]+?)\d*\.superoffice\.com$", host)
    environment = match.group(1) if match and match.group(1) in _ONLINE_ENVIRONMENTS else "online"
    return "https://%s.superoffice.com/api/state/%s" % (environment, tenant_id(url) or "<tenant id, Cust12345>")
