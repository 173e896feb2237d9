# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check mode fails closed, for every client: a caller that forgets to say a request acts cannot run anything.

Each client is opened read-only (as a task in check mode opens it) against the
simulators. A request is sent the way a careless caller would send it, without
any ``acts`` flag; it must be refused before it leaves, and the simulator must
have run nothing. What the client needs to read (versions, logins, tenant status,
script look-ups, ``EventHandlerExists``) still goes through.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ActingRequestRefused
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import (
    SuperOfficeClient,
    request_acts,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.client import OnlineSuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import ZabbixClient
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    APP_TOKEN,
    PASSWORD,
    USERNAME,
    SuperOfficeSimulator,
)
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

EXECUTE = "CRMScript/1/Execute"
EVENT_HANDLERS = "Agents/CustomerService/ExecuteEventHandlers"
EVENT_DATA = {"EventData": {"Type": "NewTicket", "InputValues": {}}}


def refused(call):
    with pytest.raises(ActingRequestRefused) as caught:
        call()
    assert caught.value.may_have_run is False
    return caught.value


@pytest.mark.parametrize("method, path, acts", [
    ("POST", EXECUTE, True),
    ("POST", EVENT_HANDLERS, True),
    ("POST", "Agents/CRMScript/ExecuteScriptByIncludeId", True),
    ("POST", "Agents/SomethingNew/DoIt", True),
    ("PUT", "CRMScript/1", True),
    ("DELETE", "CRMScript/1", True),
    ("post", "Agents/CustomerService/EventHandlerExists", False),
    ("POST", "Agents/CustomerService/EventHandlerExists?x=1", False),
    ("GET", "CRMScript/1", False),
])
def test_a_superoffice_request_acts_unless_it_is_a_known_read(method, path, acts):
    assert request_acts(method, path) is acts


@pytest.fixture(scope="module")
def onsite():
    with SuperOfficeSimulator(mode="onsite") as sim:
        yield sim


@pytest.mark.parametrize("path, payload", [(EXECUTE, {"name": "Ada"}), (EVENT_HANDLERS, EVENT_DATA)])
def test_superoffice_client_refuses_a_forgetful_acting_post_in_check_mode(onsite, path, payload):
    onsite.reset()
    with SuperOfficeClient(onsite.url, username=USERNAME, password=PASSWORD, timeout=10, read_only=True) as client:
        error = refused(lambda: client.request("POST", path, payload=payload))
        assert "check mode" in error.message
        # What check mode needs still works on the same client.
        assert client.event_handler_exists("NewTicket") in (True, False)
        assert client.request("GET", "CRMScript/1")["EjscriptId"] == 1
    stats = onsite.stats()
    assert stats["executions"] == []
    assert not any(path in exchange["request"]["path"] for exchange in stats["exchanges"])


def test_superoffice_client_without_check_mode_sends_the_same_request(onsite):
    onsite.reset()
    with SuperOfficeClient(onsite.url, username=USERNAME, password=PASSWORD, timeout=10) as client:
        client.request("POST", EXECUTE, payload={"name": "Ada"})
    assert len(onsite.stats()["executions"]) == 1


@pytest.fixture()
def zabbix():
    with ZabbixSimulator("7.0", hosts=2) as sim:
        yield sim


@pytest.mark.parametrize("method", ["script.execute", "event.acknowledge", "host.update", "newservice.do"])
def test_zabbix_client_refuses_every_method_but_reads_in_check_mode(zabbix, method):
    with ZabbixClient(zabbix.url, api_token=API_TOKEN, timeout=10, read_only=True) as client:
        client.detect_version()
        client.login()
        assert client.call("host.get", {"output": ["hostid"]})
        refused(lambda: client.call(method, {"scriptid": "1", "hostid": "10084"}))
    assert zabbix.stats()["executions"] == []
    assert method not in zabbix.stats()["methods"]


@pytest.mark.parametrize("path, payload", [(EXECUTE, {"name": "Ada"}), (EVENT_HANDLERS, EVENT_DATA)])
def test_online_client_logs_in_and_asks_the_status_but_refuses_a_forgetful_acting_post(
        environment_host, online_tenant, path, payload):
    with OnlineSuperOfficeClient(None, tenant="Cust12345", environment=environment_host.url,
                                 system_user_token=env.SYSTEM_USER_TOKEN, private_key=env.rsa_xml(env.APPLICATION_KEY),
                                 app_token=APP_TOKEN, timeout=10, read_only=True) as client:
        refused(lambda: client.request("POST", path, payload=payload))
        assert client.request("GET", "CRMScript/1")["EjscriptId"] == 1
    # The login exchange and the tenant status are reads, and were made; nothing ran at the tenant.
    assert environment_host.count("state") == 1 and environment_host.count("authenticate") == 1
    assert online_tenant.stats()["executions"] == []
