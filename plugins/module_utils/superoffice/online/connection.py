# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The connection groups of SuperOffice Online, unattended.

``SUPEROFFICE_ONLINE`` (doc fragment ``superoffice_online``): the tenant, its
environment, the system user and the application's client secret, shared by
every SuperOffice module and by ``superoffice_login``. ``SUPEROFFICE_LOGIN``
(doc fragment ``superoffice_login``): what only the login adds (the
refresh-token flow) and its client, a ``LoginClient``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import TRANSPORT, ConnectionGroup
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.environment import (
    DEFAULT_ENVIRONMENT,
    check_tenant,
    environment_url,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.login_service import choose_flow, login
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.status_cache import StatusCache

# The options that ask for the system user login: its token, or the application's key (given, or its file).
SYSTEM_USER_OPTIONS = ("system_user_token", "private_key", "private_key_path")


def read_private_key_path(params):
    """``params`` with ``private_key`` read from ``private_key_path`` when that is given."""
    path = params.get("private_key_path")
    if path:
        try:
            with open(path, "r", encoding="utf-8") as handle:
                params["private_key"] = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise OptionError("private_key_path %s cannot be read (%s): give the file of the application's RSA-XML "
                              "or PEM key." % (path, getattr(exc, "strerror", None) or type(exc).__name__))
    return params


def login_options(params):
    """``params`` as the login flows read them: the key's file stands for the key until it is read."""
    return dict(params, private_key=params.get("private_key") or params.get("private_key_path"))


def client_options(*groups):
    """The options of ``groups`` that a client takes by name: all but the key's file, which is read into the key."""
    return [name for group in groups for name in group.argument_spec() if name != "private_key_path"]


class SuperOfficeOnline(ConnectionGroup):
    """The tenant (instead of a url), its environment, its system user, and the application's client secret."""

    fragment = "superoffice_online"
    includes = (TRANSPORT,)
    mutually_exclusive = (("private_key", "private_key_path"),)

    def argument_spec(self):
        return dict(
            tenant=dict(type="str", fallback=(env_fallback, ["SUPEROFFICE_TENANT"])),
            environment=dict(type="str", default=DEFAULT_ENVIRONMENT,
                             fallback=(env_fallback, ["SUPEROFFICE_ENVIRONMENT"])),
            system_user_token=dict(type="str", no_log=True,
                                   fallback=(env_fallback, ["SUPEROFFICE_SYSTEM_USER_TOKEN"])),
            private_key=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_PRIVATE_KEY"])),
            private_key_path=dict(type="path"),
            login_certificate=dict(type="str"),
            app_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_APP_TOKEN"])),
        )

    def validate(self, params):
        """The environment is a known name or a URL; the tenant looks like one."""
        environment_url(params.get("environment"))
        if params.get("tenant"):
            check_tenant(params["tenant"])

    def client_arguments(self, params):
        """The Online arguments of a client, the key read from its file, and the tenant-status cache."""
        params = read_private_key_path(dict(params))
        arguments = dict((name, params.get(name)) for name in client_options(self))
        arguments["status_cache"] = StatusCache()
        return arguments


SUPEROFFICE_ONLINE = SuperOfficeOnline()


class LoginClient:
    """What ``superoffice_login`` talks through: one transport to the environment host, and the login's inputs."""

    def __init__(self, *, environment=None, tenant=None, system_user_token=None, private_key=None, app_token=None,
                 client_id=None, refresh_token=None, login_certificate=None, status_cache=None, validate_certs=True,
                 ca_path=None, timeout=None, redactor=None, read_only=False):
        self.flow = choose_flow({"tenant": tenant, "system_user_token": system_user_token,
                                 "private_key": private_key, "app_token": app_token, "client_id": client_id,
                                 "refresh_token": refresh_token})
        self._login = dict(environment=environment, tenant=tenant, system_user_token=system_user_token,
                           private_key=private_key, app_token=app_token, client_id=client_id,
                           refresh_token=refresh_token, login_certificate=login_certificate,
                           status_cache=status_cache)
        # In check mode the login still logs in (its exchanges say they only read), but nothing else can be sent.
        self.transport = HttpTransport(validate_certs=validate_certs, ca_path=ca_path, timeout=timeout, pool_size=1,
                                       redactor=redactor or Redactor(), read_only=read_only)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self.transport.close()

    def login(self):
        return login(self.transport, **self._login)


class SuperOfficeLogin(ConnectionGroup):
    """The login's own options: those of the refresh-token flow."""

    fragment = "superoffice_login"
    includes = (SUPEROFFICE_ONLINE,)

    def argument_spec(self):
        return dict(
            client_id=dict(type="str", fallback=(env_fallback, ["SUPEROFFICE_CLIENT_ID"])),
            refresh_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_REFRESH_TOKEN"])),
        )

    def validate(self, params):
        choose_flow(login_options(params))

    def client(self, params, redactor=None, read_only=False, **settings):
        """A ``LoginClient``. Its redactor is its own: the module's masks the whole result, which must keep the
        credential the login returns; the login's learns it, to mask it in errors."""
        params = read_private_key_path(dict(params))
        secrets = [params.get(name) for name in ("system_user_token", "private_key", "app_token", "refresh_token")]
        arguments = TRANSPORT.client_arguments(params)
        arguments.update(settings)
        arguments.update((name, params.get(name)) for name in client_options(SUPEROFFICE_ONLINE, self))
        return LoginClient(status_cache=StatusCache(), redactor=Redactor(filter(None, secrets)), read_only=read_only,
                           **arguments)


SUPEROFFICE_LOGIN = SuperOfficeLogin()
