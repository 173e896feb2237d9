# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection groups: each one matches its doc fragment exactly, and composes with the transport group."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest
import yaml

from ansible_collections.scriptbridge.core.plugins.doc_fragments import superoffice as superoffice_fragment
from ansible_collections.scriptbridge.core.plugins.doc_fragments import superoffice_login as login_fragment
from ansible_collections.scriptbridge.core.plugins.doc_fragments import superoffice_online as online_fragment
from ansible_collections.scriptbridge.core.plugins.doc_fragments import transport as transport_fragment
from ansible_collections.scriptbridge.core.plugins.doc_fragments import zabbix as zabbix_fragment
from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import (
    TRANSPORT,
    module_arguments,
    settle,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import SuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.connection import SUPEROFFICE
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.connection import (
    SUPEROFFICE_LOGIN,
    SUPEROFFICE_ONLINE,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import ZabbixClient
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.connection import ZABBIX

FRAGMENTS = {"transport": transport_fragment, "zabbix": zabbix_fragment, "superoffice": superoffice_fragment,
             "superoffice_online": online_fragment, "superoffice_login": login_fragment}
GROUPS = [TRANSPORT, ZABBIX, SUPEROFFICE, SUPEROFFICE_ONLINE, SUPEROFFICE_LOGIN]
# Option names that hold secrets; every such option is no_log, and no other is.
SECRET_NAME = re.compile(r"password|token|ticket|cookie|secret|private_key$")
ENV_SENTENCE = re.compile(r"^If not set, the value of the E\((\w+)\) environment variable is used\.$")


def fragment_options(group):
    return yaml.safe_load(FRAGMENTS[group.fragment].ModuleDocFragment.DOCUMENTATION)["options"]


def documented_fallbacks(option):
    lines = option["description"] if isinstance(option["description"], list) else [option["description"]]
    return [match.group(1) for match in (ENV_SENTENCE.match(line) for line in lines) if match]


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.fragment)
def test_the_fragment_documents_exactly_the_options_of_the_group(group):
    spec, documented = group.argument_spec(), fragment_options(group)
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        doc = documented[name]
        assert doc["type"] == option.get("type", "str"), name
        assert doc.get("aliases", []) == option.get("aliases", []), name
        assert doc.get("default") == option.get("default"), name
        assert doc.get("required", False) == option.get("required", False), name
        assert doc.get("elements") == option.get("elements"), name
        assert doc.get("choices") == option.get("choices"), name
        fallback = option.get("fallback", (None, []))[1]
        assert documented_fallbacks(doc) == fallback, name
        assert bool(option.get("no_log")) is bool(SECRET_NAME.search(name)), name


@pytest.mark.parametrize("group, below", [(ZABBIX, []), (SUPEROFFICE, [SUPEROFFICE_ONLINE]),
                                          (SUPEROFFICE_LOGIN, [SUPEROFFICE_ONLINE])], ids=lambda g: getattr(g, "fragment", ""))
def test_a_service_group_brings_the_transport_options(group, below):
    assert group.compose() == [TRANSPORT] + below + [group]
    spec, dummy = module_arguments(group.compose(), {}, {})
    assert {"validate_certs", "ca_path", "timeout"} <= set(spec)
    assert set(group.argument_spec()) <= set(spec)


def test_constraints_of_groups_and_module_add_up():
    spec, kwargs = module_arguments(ZABBIX.compose(), {"script": {"type": "str"}},
                                    {"required_one_of": [["script", "url"]], "required_by": {"menu_path": "script"}})
    assert spec["script"] == {"type": "str"}
    assert kwargs["required_together"] == [["http_username", "http_password"]]
    assert kwargs["required_one_of"] == [["script", "url"]]
    assert kwargs["required_by"] == {"menu_path": "script"}
    assert "mutually_exclusive" not in kwargs


def zabbix_params(**given):
    params = dict((name, option.get("default")) for name, option in module_arguments(ZABBIX.compose(), {}, {})[0].items())
    params["url"] = "https://zbx.example.com"
    params.update(given)
    return params


def superoffice_params(**given):
    params = dict((name, option.get("default"))
                  for name, option in module_arguments(SUPEROFFICE.compose(), {}, {})[0].items())
    params["url"] = "https://crm.example.com/SuperOffice"
    params.update(given)
    return params


@pytest.mark.parametrize("group, params, words", [
    (ZABBIX, zabbix_params(), "No Zabbix credentials"),
    (ZABBIX, zabbix_params(api_token="t" * 64, username="Admin"), "not both"),
    (SUPEROFFICE, superoffice_params(), "exactly one way"),
    (SUPEROFFICE, superoffice_params(url="https://online2.superoffice.com/Cust1", username="u", password="p"), "Online"),
])
def test_groups_validate_their_credentials(group, params, words):
    with pytest.raises(OptionError) as caught:
        group.validate(params)
    assert words in caught.value.message


def test_superoffice_masks_credentials_given_as_extra_headers_and_the_url_password():
    params = superoffice_params(url="https://api:UrlPassw0rd@crm.example.com/SuperOffice", ticket="7T:abc",
                                headers={"Cookie": "sid=abcdef", " Proxy-Authorization ": "Basic cHJveHk6cHc=",
                                         "X-Trace": "visible"})
    assert sorted(SUPEROFFICE.secrets(params)) == sorted(["UrlPassw0rd", "sid=abcdef", "Basic cHJveHk6cHc="])


def test_transport_warns_when_certificates_are_not_checked():
    assert TRANSPORT.warnings({"validate_certs": True}) == []
    assert "validate_certs is false" in TRANSPORT.warnings({"validate_certs": False})[0]


def test_groups_build_their_clients_from_the_options():
    with ZABBIX.client(zabbix_params(username="Admin", password="zabbix", http_username="web", http_password="pw",
                                     timeout=7), pool_size=2, read_only=True) as client:
        assert isinstance(client, ZabbixClient)
        assert client.url == "https://zbx.example.com/api_jsonrpc.php"
        assert client.transport.timeout == 7 and client.transport.read_only is True
        assert client.transport.session.auth == ("web", "pw")
    with SUPEROFFICE.client(superoffice_params(ticket="7T:abc", language="en")) as client:
        assert isinstance(client, SuperOfficeClient)
        assert client.transport.session.headers["Authorization"] == "SOTicket 7T:abc"
        assert client.transport.session.headers["SO-Language"] == "en"
        assert client.transport.read_only is False


def test_the_clients_import_without_ansible():
    """An event source uses the clients outside Ansible: with ``ansible`` unimportable, they still load."""
    import os
    import subprocess
    import sys

    import ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client as zabbix_module

    # .../ansible_collections/scriptbridge/core/plugins/module_utils/zabbix/client.py -> the directory above ansible_collections
    root = os.path.dirname(zabbix_module.__file__)
    for dummy in range(6):
        root = os.path.dirname(root)
    code = "\n".join([
        "import sys",
        "sys.modules['ansible'] = None",
        "from ansible_collections.scriptbridge.core.plugins.module_utils.core import errors, http, jsonrpc, redact",
        "from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice import client as superoffice_client",
        "from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix import client as zabbix_client",
        "client = zabbix_client.ZabbixClient('https://zbx.example.com', api_token='t' * 64)",
        "client.close()",
        "print(sorted(m for m in sys.modules if m == 'ansible' or m.startswith('ansible.')))",
    ])
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=dict(os.environ, PYTHONPATH=root),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ansible']"


# -- options from the task and from the environment ---------------------------------------------------------------


def _settled(params, given):
    params = dict(params)
    settle(params, set(given), ("url",), ("tenant",), OptionError("both"))
    return params


def test_the_option_the_task_sets_wins_over_the_environment():
    assert _settled({"url": "https://crm.example.com", "tenant": "Cust1"}, {"url"}) == {
        "url": "https://crm.example.com", "tenant": None}
    assert _settled({"url": "https://crm.example.com", "tenant": "Cust1"}, {"tenant"}) == {
        "url": None, "tenant": "Cust1"}


@pytest.mark.parametrize("given", [{"url", "tenant"}, set()])
def test_both_set_in_the_task_or_both_only_in_the_environment_conflict(given):
    with pytest.raises(OptionError, match="both"):
        _settled({"url": "https://crm.example.com", "tenant": "Cust1"}, given)


def test_one_side_unset_needs_no_settling():
    assert _settled({"url": None, "tenant": "Cust1"}, set()) == {"url": None, "tenant": "Cust1"}
    assert _settled({"url": "", "tenant": "Cust1"}, {"url"}) == {"url": "", "tenant": "Cust1"}
