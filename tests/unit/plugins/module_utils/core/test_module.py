# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base module class: a task and its connection groups in, errors and secrets out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
from unittest import mock
from urllib.parse import quote

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import TRANSPORT, ConnectionGroup
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    NotFoundError,
    OptionError,
    RequestTimeoutError,
    ScriptBridgeError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport
from ansible_collections.scriptbridge.core.plugins.module_utils.core.module import ScriptBridgeModule
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import Task

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    @contextlib.contextmanager
    def patch_module_args(args=None):
        serialized = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield


TOKEN = "tok/SECRET+value=42"
SESSION = "sess-0424bd59b807674191e7"
URL_PASSWORD = "UrlPassw0rd"


@pytest.fixture(autouse=True)
def warnings_go_to_the_module_result(monkeypatch):
    """Warnings of a module run in a process where controller code was imported (by the filter tests,
    say) go to the display instead of the result from ansible-core 2.19; here they must reach the result."""
    try:
        from ansible.module_utils import _internal
    except ImportError:  # ansible-core before 2.19
        return
    if hasattr(_internal, "is_controller"):
        monkeypatch.setattr(_internal, "is_controller", False)


@pytest.fixture(autouse=True)
def no_warnings_of_other_tests():
    # Warnings are collected process-wide until a module exits.
    ansible_warnings._global_warnings.clear()
    yield
    ansible_warnings._global_warnings.clear()


def warning_texts(result):
    """The warnings of a result as text (plain strings before ansible-core 2.19, objects since)."""
    return json.dumps(result.get("warnings", []))


class ExampleConnection(ConnectionGroup):
    """A connection group as a service would write one."""

    includes = (TRANSPORT,)
    url_option = "url"

    def argument_spec(self):
        return dict(
            url=dict(type="str", required=True),
            api_token=dict(type="str", no_log=True),
            name=dict(type="str", default="from the group"),
        )

    def client(self, params, **settings):
        client = ExampleClient(params, settings)
        self.clients.append(client)
        return client


class ExampleClient:
    """What a client factory hands the task: here, a record of how it was built and closed."""

    def __init__(self, params, settings):
        self.url = params["url"]
        self.settings = settings
        self.redactor = settings["redactor"]
        self.closed = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.closed += 1


EXAMPLE = ExampleConnection()


def own_options():
    return dict(name=dict(type="str", default="from the module"), script=dict(type="str"))


def task_class(execute, predict=None):
    """A task whose ``execute()`` is ``execute(task)`` (and ``predict()``, ``predict(task)``)."""

    class ExampleTask(Task):
        connection = EXAMPLE
        argument_spec = own_options()

        @classmethod
        def check_options(cls, params):
            return dict(params)

        @classmethod
        def client_settings(cls, options):
            return {"pool_size": 3}

        def execute(self):
            return execute(self)

        def predict(self):
            if predict is None:
                raise AssertionError("predict() ran outside check mode")
            return predict(self)

    return ExampleTask


@pytest.fixture(autouse=True)
def fresh_clients():
    EXAMPLE.clients = []


def run_module(capsys, args, execute, predict=None, **kwargs):
    """Build the module from ``args``, run its task and return (exit code, result, raw output)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            module = ScriptBridgeModule(task_class(execute, predict), **kwargs)
            module.run()
    out = capsys.readouterr().out
    return exited.value.code, json.loads(out), out


def test_result_of_the_task_is_the_module_result(capsys):
    seen = {}

    def task(work):
        seen.update(work.options)
        return {"changed": True, "value": "done"}

    code, result, dummy = run_module(capsys, {"url": "https://zbx.example.com", "script": "Ping"}, task)
    assert code == 0
    assert result["changed"] is True
    assert result["value"] == "done"
    assert "failed" not in result
    # Option groups and the module's own options make one spec; the module's own win.
    assert seen["name"] == "from the module"
    assert seen["timeout"] == 90
    assert seen["validate_certs"] is True
    # The client comes from the connection group, with the task's settings, and is closed once.
    client, = EXAMPLE.clients
    assert client.url == "https://zbx.example.com"
    assert client.settings["pool_size"] == 3 and client.settings["read_only"] is False
    assert client.closed == 1


@pytest.mark.parametrize("error, changed", [
    (OptionError("Give either api_token or username and password, not both."), False),
    (NotFoundError("No script named 'Ping' exists.", code=-32500, data="No permissions"), False),
    (RequestTimeoutError("No answer within 90 seconds; the script may have run.", may_have_run=True), True),
])
def test_collection_error_becomes_fail_json_without_traceback(capsys, error, changed):
    def task(work):
        raise error

    code, result, out = run_module(capsys, {"url": "https://zbx.example.com"}, task)
    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == error.message
    assert result["error"] == {"code": error.code, "message": error.message, "data": error.data, "kind": error.kind}
    assert result["changed"] is changed
    assert "exception" not in result
    assert "Traceback" not in out
    assert EXAMPLE.clients[0].closed == 1


def test_failed_result_of_the_task_fails_with_everything_it_holds(capsys):
    def task(work):
        return {"changed": True, "failed": True, "msg": "Script 'Ping' failed on 1 of 2 targets",
                "results": [{"host": "a", "failed": False}, {"host": "b", "failed": True}]}

    code, result, dummy = run_module(capsys, {"url": "https://zbx.example.com"}, task)
    assert code == 1
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["msg"] == "Script 'Ping' failed on 1 of 2 targets"
    assert [r["host"] for r in result["results"]] == ["a", "b"]


def test_other_exceptions_are_not_hidden():
    def task(work):
        raise KeyError("a bug")

    with patch_module_args({"url": "https://zbx.example.com"}):
        module = ScriptBridgeModule(task_class(task))
        with pytest.raises(KeyError):
            module.run()
    assert EXAMPLE.clients[0].closed == 1


def secret_forms():
    return [TOKEN, quote(TOKEN, safe=""), json.dumps(TOKEN)[1:-1], SESSION]


def test_secrets_are_masked_in_a_failure(capsys):
    def task(work):
        work.client.redactor.add(SESSION)
        raise ScriptBridgeError(
            "login with %s (sent as %s) gave session %s" % (TOKEN, quote(TOKEN, safe=""), SESSION),
            data={"request": json.dumps({"auth": TOKEN}), "sessions": [SESSION, {"again": SESSION}]},
        )

    code, result, out = run_module(capsys, {"url": "https://zbx.example.com", "api_token": TOKEN}, task)
    assert code == 1
    for form in secret_forms():
        assert form not in out
    assert result["msg"].startswith("login with ")
    assert result["error"]["data"]["sessions"][0] == "********"


def test_secrets_are_masked_in_a_success(capsys):
    def task(work):
        work.client.redactor.add(SESSION)
        return {"changed": True, "results": [{"value": "token=%s" % quote(TOKEN, safe="")},
                                             {"debug": {"logs": [{"message": "session %s" % SESSION}]}}],
                "echo": json.dumps({"token": TOKEN})}

    code, result, out = run_module(capsys, {"url": "https://zbx.example.com", "api_token": TOKEN}, task)
    assert code == 0
    for form in secret_forms():
        assert form not in out
    assert result["results"][0]["value"] == "token=********"
    assert result["results"][1]["debug"]["logs"][0]["message"] == "session ********"


def test_password_of_the_url_never_shows(capsys):
    url = "https://api:%s@zbx.example.com:99999/zabbix" % URL_PASSWORD

    def task(work):
        transport = HttpTransport(redactor=work.client.redactor)
        try:
            transport.request("POST", work.options["url"] + "/api_jsonrpc.php", payload={})
        finally:
            transport.close()

    code, result, out = run_module(capsys, {"url": url, "_ansible_inject_invocation": True}, task)
    assert code == 1
    assert result["error"]["kind"] == "invalid_params"
    assert URL_PASSWORD not in out


def test_validate_certs_false_warns(capsys):
    code, result, dummy = run_module(capsys, {"url": "https://zbx.example.com", "validate_certs": False},
                                     lambda work: {"changed": False})
    assert code == 0
    assert "validate_certs is false" in warning_texts(result)
    assert "ca_path" in warning_texts(result)


def test_validate_certs_true_does_not_warn(capsys):
    code, result, dummy = run_module(capsys, {"url": "https://zbx.example.com"}, lambda work: {"changed": False})
    assert code == 0
    assert "validate_certs" not in warning_texts(result)


def test_check_mode_is_supported_by_default_and_runs_predict_on_a_read_only_client(capsys):
    def execute(work):
        raise AssertionError("execute() ran in check mode")

    code, result, dummy = run_module(capsys, {"url": "https://zbx.example.com", "_ansible_check_mode": True}, execute,
                                     predict=lambda work: {"changed": True, "read_only": work.client.settings["read_only"]})
    assert code == 0
    assert result["read_only"] is True
    assert "skipped" not in result
    assert EXAMPLE.clients[0].closed == 1


def test_option_errors_of_ansible_still_fail_the_usual_way(capsys):
    code, result, dummy = run_module(capsys, {"script": "Ping"}, lambda work: {"changed": True})
    assert code == 1
    assert "url" in result["msg"]


def test_a_missing_library_fails_with_ansibles_message_naming_it(capsys):
    """Only the flows that need cryptography or PyJWT raise it; the module names the package."""
    from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.libraries import (
        MissingLibraryError,
    )

    def task(work):
        raise MissingLibraryError("PyJWT", "Traceback: No module named 'jwt'")

    code, result, dummy = run_module(capsys, {"url": "https://api.example.com"}, task)
    assert code == 1 and result["failed"] is True
    assert "Failed to import the required Python library (PyJWT)" in result["msg"]
