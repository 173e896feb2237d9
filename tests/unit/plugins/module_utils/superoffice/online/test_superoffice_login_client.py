# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""superoffice_login's client: built from named arguments, rotated refresh tokens, and check mode.

In check mode the login still logs in (the tenant status, the login exchange and
the keys are reads the code names as such), but its transports are read-only:
a request sent without saying that it only reads, a forgotten ``acts`` flag,
is refused before it leaves, so nothing can run a script or event handler.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    ActingRequestRefused,
    OptionError,
    ScriptBridgeError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport, RetryPolicy
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import REDACTED, Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online import login_service as login
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.client import OnlineSuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.connection import (
    SUPEROFFICE_LOGIN,
    LoginClient,
)
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import ACCESS_TOKEN, APP_TOKEN, TICKET

EXECUTE = "/api/v1/CRMScript/1/Execute"
EVENT_HANDLERS = "/api/v1/Agents/CustomerService/ExecuteEventHandlers"


@pytest.fixture(scope="module")
def tenant(online_tenant):
    return online_tenant


@pytest.fixture()
def host(environment_host):
    return environment_host


def system_user(host):
    return dict(tenant="Cust12345", environment=host.url, system_user_token=env.SYSTEM_USER_TOKEN,
                private_key=env.rsa_xml(env.APPLICATION_KEY), app_token=APP_TOKEN, timeout=5)


def refresh(host, token=env.REFRESH_TOKEN):
    return dict(environment=host.url, client_id=env.CLIENT_ID, app_token=APP_TOKEN, refresh_token=token, timeout=5)


def test_the_client_takes_named_arguments_and_names_its_flow(host, tenant):
    with LoginClient(**system_user(host)) as client:
        assert client.flow == "system_user"
        result = client.login()
    assert (result.credential, result.url, result.tenant) == (TICKET, tenant.url, "Cust12345")
    with LoginClient(**refresh(host)) as client:
        assert client.flow == "refresh_token"
        assert client.login().credential == ACCESS_TOKEN
    with pytest.raises(TypeError):
        LoginClient(system_user(host))  # pylint: disable=too-many-function-args
    without_key = system_user(host)
    without_key["private_key"] = None
    with pytest.raises(OptionError, match="missing: private_key"):
        LoginClient(**without_key)


def test_the_group_builds_the_client_from_the_module_options(host):
    params = dict((name, None) for name in SUPEROFFICE_LOGIN.argument_spec())
    params.update(system_user(host), validate_certs=True, ca_path=None, private_key_path=None, login_certificate=None)
    with SUPEROFFICE_LOGIN.client(params, read_only=True) as client:
        assert client.flow == "system_user" and client.transport.read_only is True
        assert client.login().credential == TICKET


def test_a_rotated_refresh_token_is_returned_and_masked(host):
    host.configure(rotate_refresh_tokens=True)
    with LoginClient(**refresh(host)) as client:
        result = client.login()
        assert result.refresh_token.startswith(env.ROTATED_PREFIX)
        assert result.refresh_token in host.refresh_tokens
        assert client.transport.redactor.scrub("new: %s" % result.refresh_token) == "new: " + REDACTED
    # The token used is spent; the new one works and is replaced in turn.
    with LoginClient(**refresh(host)) as client:
        with pytest.raises(ScriptBridgeError, match="HTTP 400"):
            client.login()
    with LoginClient(**refresh(host, result.refresh_token)) as client:
        second = client.login()
    assert second.refresh_token.startswith(env.ROTATED_PREFIX) and second.refresh_token != result.refresh_token
    assert host.count("token") == 3


def test_without_rotation_there_is_no_new_refresh_token(host):
    with LoginClient(**refresh(host)) as client:
        assert client.login().refresh_token is None


def test_the_same_refresh_token_echoed_is_not_returned(http_server):
    http_server.add(body={"access_token": "8A:Cust1.x", "expires_in": 3600, "refresh_token": "refresh-tok-1"})
    transport = HttpTransport(timeout=5, redactor=Redactor(), retry=RetryPolicy(attempts=1))
    assert login.refresh_access_token(transport, http_server.url, "c1", "secret-1", "refresh-tok-1").refresh_token is None


# -- check mode: a forgotten acts flag cannot run anything ---------------------------------------------------------


@pytest.mark.parametrize("path", [EXECUTE, EVENT_HANDLERS])
def test_the_login_logs_in_read_only_but_refuses_a_forgetful_post(host, tenant, path):
    with LoginClient(read_only=True, **system_user(host)) as client:
        assert client.login().credential == TICKET
        with pytest.raises(ActingRequestRefused, match="check mode"):
            client.transport.request("POST", tenant.url + path, payload={})
        assert login.tenant_status(client.transport, host.url, "Cust12345").url == tenant.url
        # Even the login exchange itself, sent without saying it only reads, is refused: it fails closed.
        with pytest.raises(ActingRequestRefused):
            client.transport.request("POST", host.url + login.AUTHENTICATE_PATH, payload={})
    assert host.count("state") == 2 and host.count("authenticate") == 1 and host.count("jwks") == 1
    assert tenant.stats()["executions"] == []
    assert not any(path in x["request"]["path"] for x in tenant.stats()["exchanges"])


@pytest.mark.parametrize("path", [EXECUTE, EVENT_HANDLERS])
def test_the_online_clients_status_and_login_transport_is_read_only_too(host, tenant, path):
    with OnlineSuperOfficeClient(None, read_only=True, **system_user(host)) as client:
        service = client._service  # pylint: disable=protected-access
        with pytest.raises(ActingRequestRefused):
            service.request("POST", tenant.url + path, payload={})
        # What the client needs from the environment host still goes through, named as reads.
        assert login.tenant_status(service, host.url, "Cust12345").url == tenant.url
    assert host.count("state") == 2 and host.count("authenticate") == 1
    assert tenant.stats()["executions"] == []
