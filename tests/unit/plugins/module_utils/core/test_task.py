# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One task shape, and its safety net: in check mode, even a buggy task cannot run a script.

The modules run for real here (their task, connection group and client) against a
local server that answers like Zabbix or SuperOffice and records every request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.scriptbridge.core.plugins.module_utils.core.module import ScriptBridgeModule
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.crmscript_task import CrmScriptTask
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.script_task import ZabbixScriptTask

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    @contextlib.contextmanager
    def patch_module_args(args=None):
        serialized = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield

TOKEN = "0123456789abcdef" * 4
SCRIPT = {"scriptid": "5", "name": "Ping", "type": "0", "scope": "2", "execute_on": "1", "menu_path": "",
          "groupid": "0", "host_access": "2", "manualinput": "0"}
ZABBIX_ANSWERS = {
    "apiinfo.version": "7.0.5",
    "script.get": [SCRIPT],
    "host.get": [{"hostid": "10501", "host": "web-01", "name": "web-01"}],
    "script.execute": {"response": "success", "value": "ran", "debug": []},
}


class ExecutesInCheckMode(ZabbixScriptTask):
    """A task with the bug the safety net is for: its predict() runs the script."""

    def predict(self):
        return self.execute()


class RunsCrmScriptInCheckMode(CrmScriptTask):
    def predict(self):
        return self.execute()


def run_module(capsys, task_class, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            ScriptBridgeModule(task_class).run()
    return exited.value.code, json.loads(capsys.readouterr().out)


def zabbix_answer(request):
    envelope = request.json()
    return {"body": {"jsonrpc": "2.0", "id": envelope["id"], "result": ZABBIX_ANSWERS[envelope["method"]]}}


def zabbix_args(http_server, check_mode):
    # With concurrency 1 the script and the host are looked up one after the other: the order is known.
    return {"url": http_server.url, "api_token": TOKEN, "script_id": "5", "host": "web-01", "concurrency": 1,
            "_ansible_check_mode": check_mode}


def methods(http_server):
    return [request.json()["method"] for request in http_server.requests]


def test_a_buggy_zabbix_task_cannot_run_a_script_in_check_mode(http_server, capsys):
    http_server.add(zabbix_answer).add(zabbix_answer).add(zabbix_answer).answer_by_default()
    code, result = run_module(capsys, ExecutesInCheckMode, zabbix_args(http_server, check_mode=True))
    assert code == 1 and result["failed"] is True
    assert "check mode" in result["msg"] and "Nothing was sent" in result["msg"]
    assert result["results"][0]["failed"] is True and result["changed"] is False
    assert "script.execute" not in methods(http_server)
    assert methods(http_server) == ["apiinfo.version", "script.get", "host.get"]


def test_the_same_task_runs_the_script_outside_check_mode(http_server, capsys):
    for dummy in range(4):
        http_server.add(zabbix_answer)
    code, result = run_module(capsys, ExecutesInCheckMode, zabbix_args(http_server, check_mode=False))
    assert code == 0 and result["changed"] is True and result["value"] == "ran"
    assert methods(http_server)[-1] == "script.execute"


def test_the_zabbix_task_predicts_with_reads_only(http_server, capsys):
    for dummy in range(4):
        http_server.add(zabbix_answer)
    code, result = run_module(capsys, ZabbixScriptTask, zabbix_args(http_server, check_mode=True))
    assert code == 0 and result["changed"] is True and result["results"][0]["would_execute"] is True
    assert methods(http_server) == ["apiinfo.version", "script.get", "host.get", "host.get"]


def test_a_buggy_superoffice_task_cannot_run_a_script_in_check_mode(http_server, capsys):
    args = {"url": http_server.url + "/SuperOffice", "ticket": "7T:abcdef", "script_id": 1, "_ansible_check_mode": True}
    code, result = run_module(capsys, RunsCrmScriptInCheckMode, args)
    assert code == 1 and result["failed"] is True and result["changed"] is False
    assert "check mode" in result["msg"] and "/CRMScript/1/Execute" in result["msg"]
    assert result["error"]["kind"] == "unsupported"
    assert http_server.requests == []
