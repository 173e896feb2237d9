# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Online client: tenant discovery, the system user login, one more try on 421 and on 401 (minted tickets only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import AuthError, ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.client import OnlineSuperOfficeClient
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.faults import Fault, FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    APP_TOKEN,
    TICKET,
    SuperOfficeSimulator,
)


@pytest.fixture(scope="module")
def tenant(online_tenant):
    return online_tenant


@pytest.fixture()
def host(environment_host):
    return environment_host


def system_user(host, **more):
    given = dict(tenant="Cust12345", environment=host.url, system_user_token=env.SYSTEM_USER_TOKEN,
                 private_key=env.rsa_xml(env.APPLICATION_KEY), app_token=APP_TOKEN, timeout=5)
    given.update(more)
    return given


def test_discovery_finds_the_address_once(host, tenant):
    with OnlineSuperOfficeClient(None, tenant="Cust12345", environment=host.url, ticket=TICKET,
                                 app_token=APP_TOKEN) as client:
        assert client.url == tenant.url
        assert client.execute_script(1, {"name": "Ada"}) == "Hello, Ada!"
        assert client.execute_script(1, {"name": "Bo"}) == "Hello, Bo!"
    assert host.count("state") == 1 and host.count("authenticate") == 0


def test_a_given_url_wins_over_discovery(host, tenant):
    with OnlineSuperOfficeClient(tenant.url, tenant="Cust12345", environment=host.url, ticket=TICKET,
                                 app_token=APP_TOKEN) as client:
        assert client.execute_script(1, {}) == "Hello, World!"
    assert host.count("state") == 0


def test_a_tenant_that_is_not_running_is_refused_before_any_request(host, tenant):
    host.tenants["cust12345"].state = "OfflineMaintenance"
    with pytest.raises(ScriptBridgeError, match="is OfflineMaintenance"):
        OnlineSuperOfficeClient(None, tenant="Cust12345", environment=host.url, ticket=TICKET, app_token=APP_TOKEN)
    assert tenant.stats()["requests"] == 0


def test_421_asks_the_status_again_and_resends_once(host, tenant):
    with SuperOfficeSimulator(mode="online", expected_host="127.0.0.1") as moved:
        host.add_tenant("Cust9", "http://localhost:%d/Cust12345/api" % moved.port, moved.url + "/api")
        with OnlineSuperOfficeClient(None, tenant="Cust9", environment=host.url, ticket=TICKET,
                                     app_token=APP_TOKEN) as client:
            assert client.execute_script(1, {}) == "Hello, World!"
            assert client.url == moved.url
        assert host.count("state") == 2
        assert [x["response"]["status"] for x in moved.stats()["exchanges"]] == [421, 200]
        assert len(moved.stats()["executions"]) == 1


def test_421_with_a_given_url_is_not_retried(host):
    with SuperOfficeSimulator(mode="online", expected_host="127.0.0.1") as moved:
        url = "http://localhost:%d/Cust12345" % moved.port
        with OnlineSuperOfficeClient(url, ticket=TICKET, app_token=APP_TOKEN) as client:
            with pytest.raises(ScriptBridgeError, match="421"):
                client.execute_script(1, {})
        assert moved.stats()["requests"] == 1


def test_the_system_user_logs_in_once(host, tenant):
    with OnlineSuperOfficeClient(None, **system_user(host)) as client:
        assert client.execute_script(1, {}) == "Hello, World!"
        assert client.event_handler_exists("TicketSave") is True
    assert host.count("authenticate") == 1 and host.count("state") == 1 and host.count("jwks") == 1


def test_a_minted_ticket_refused_gets_one_new_login_and_one_resend(host, tenant):
    with FaultProxy(tenant.root_url, [Fault("status", status=401, path="/Execute", nth=1, body="")]) as proxy:
        host.add_tenant("Cust401", proxy.url + tenant.base + "/api")
        with OnlineSuperOfficeClient(None, **system_user(host, tenant="Cust401")) as client:
            assert client.execute_script(1, {}) == "Hello, World!"
        assert host.count("authenticate") == 2
        assert [e["action"] for e in proxy.log] == ["status", "forward"]
    assert len(tenant.stats()["executions"]) == 1


def test_a_minted_ticket_refused_twice_fails(host, tenant):
    with FaultProxy(tenant.root_url, [Fault("status", status=401, path="/Execute", times=None, body="")]) as proxy:
        host.add_tenant("Cust401", proxy.url + tenant.base + "/api")
        with OnlineSuperOfficeClient(None, **system_user(host, tenant="Cust401")) as client:
            with pytest.raises(AuthError, match="401"):
                client.execute_script(1, {})
        assert host.count("authenticate") == 2 and len(proxy.log) == 2


def test_a_given_ticket_refused_is_not_retried(host, tenant):
    with OnlineSuperOfficeClient(None, tenant="Cust12345", environment=host.url, ticket="7T:expired",
                                 app_token=APP_TOKEN) as client:
        with pytest.raises(AuthError) as caught:
            client.execute_script(1, {})
    message = str(caught.value)
    assert "expired" in message and "revoked" in message and "superoffice_login" in message
    assert "7T:expired" not in message
    assert tenant.stats()["requests"] == 1 and host.count("authenticate") == 0


def test_a_failed_login_runs_nothing(host, tenant):
    with pytest.raises(AuthError, match="signature"):
        OnlineSuperOfficeClient(None, **system_user(host, private_key=env.pem(env.OTHER_KEY)))
    assert tenant.stats()["requests"] == 0
