# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""run_in_action: a task run by an action plugin, with the argument checks and the error handling of a module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.action import run_in_action
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.acknowledge_task import ZabbixAcknowledgeTask
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator


@pytest.fixture(scope="module", name="sim")
def fixture_sim():
    with ZabbixSimulator(version="7.0", hosts=2) as sim:
        yield sim


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("ZABBIX_URL", "ZABBIX_API_TOKEN", "ZABBIX_USERNAME", "ZABBIX_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_a_task_runs_and_check_mode_writes_nothing(sim):
    sim.reset()
    args = {"url": sim.url, "api_token": API_TOKEN, "eventids": ["1003"], "message": "ticket 7"}
    predicted = run_in_action(ZabbixAcknowledgeTask, args, check_mode=True)
    assert predicted["changed"] is True and "event.acknowledge" not in sim.stats()["methods"]
    written = run_in_action(ZabbixAcknowledgeTask, args, check_mode=False)
    assert written["events"] == [{"eventid": "1003", "changed": True, "skipped": None}]
    assert [a["message"] for a in sim.acknowledgements("1003")] == ["ticket 7"]
    # the token never shows
    assert API_TOKEN not in repr(predicted) + repr(written)


def test_the_environment_gives_the_connection(sim, monkeypatch):
    monkeypatch.setenv("ZABBIX_URL", sim.url)
    monkeypatch.setenv("ZABBIX_USERNAME", "operator")
    monkeypatch.setenv("ZABBIX_PASSWORD", "operator-pass")
    result = run_in_action(ZabbixAcknowledgeTask, {"eventids": ["1004"]}, check_mode=True)
    assert not result.get("failed") and result["events"][0]["eventid"] == "1004", result


@pytest.mark.parametrize("args, words", [
    ({"eventids": ["1003"], "severity": "high"}, "severity"),
    ({"eventids": ["1003"], "nonsense": 1}, "nonsense"),
    ({}, "eventids"),
    ({"eventids": ["1003"], "api_token": API_TOKEN, "username": "u", "password": "secret-word"}, "not both"),
])
def test_arguments_are_checked_like_a_module_checks_them(sim, args, words):
    result = run_in_action(ZabbixAcknowledgeTask, dict({"url": sim.url}, **args), check_mode=False)
    assert result["failed"] is True and words in result["msg"], result
    assert "secret-word" not in repr(result) and API_TOKEN not in repr(result)


def test_errors_are_failed_results_with_the_secrets_masked(sim):
    args = {"url": sim.url, "username": "operator", "password": "wrong-pass-word", "eventids": ["1003"]}
    result = run_in_action(ZabbixAcknowledgeTask, args, check_mode=False)
    assert result["failed"] is True and result["error"]["kind"] == "auth" and result["changed"] is False
    assert "wrong-pass-word" not in repr(result)
    missing = run_in_action(ZabbixAcknowledgeTask, {"url": sim.url, "eventids": ["1003"]}, check_mode=False)
    assert missing["failed"] is True and "ZABBIX_API_TOKEN" in missing["msg"]
