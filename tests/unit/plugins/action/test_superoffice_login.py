# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""superoffice_login's action plugin: one login for the forked workers of a run, in shared memory only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import multiprocessing
import time
from unittest import mock

import pytest

from ansible_collections.scriptbridge.core.plugins.action import superoffice_login as action

FORK = multiprocessing.get_context("fork")
NOW = 1_800_000_000.0


def test_reusable_until():
    assert action.reusable_until({"ticket": "7T:x"}, NOW) == NOW + action.TICKET_REUSE
    expires = NOW + 3600
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    assert action.reusable_until({"access_token": "8A:x", "expires": stamp}, NOW) == expires - action.TOKEN_MARGIN
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW + 60))
    assert action.reusable_until({"access_token": "8A:x", "expires": soon}, NOW) is None
    assert action.reusable_until({"access_token": "8A:x"}, NOW) == NOW + action.TOKEN_LIFETIME - action.TOKEN_MARGIN
    for result in ({"failed": True, "ticket": "x"}, {"unreachable": True}, {"skipped": True}, {"url": "u"}):
        assert action.reusable_until(result, NOW) is None


def test_the_memory_is_shared_with_forked_workers_and_expires():
    memory = action._RunMemory()  # pylint: disable=protected-access
    digest = memory.digest({"args": {"tenant": "Cust1"}})
    assert digest == memory.digest({"args": {"tenant": "Cust1"}}) != memory.digest({"args": {"tenant": "Cust2"}})
    assert action._RunMemory().digest({"args": {"tenant": "Cust1"}}) != digest  # pylint: disable=protected-access
    child = FORK.Process(target=memory.put, args=(digest, None, {"ticket": "7T:x"}, time.time() + 60))
    child.start()
    child.join()
    assert memory.get(digest, "task-1") == {"ticket": "7T:x"}
    memory.put(digest, None, {"ticket": "7T:old"}, time.time() - 1)
    assert memory.get(digest, "task-1") is None


def test_a_failure_is_shared_only_within_its_task():
    memory = action._RunMemory()  # pylint: disable=protected-access
    memory.put("k", "task-1", {"failed": True, "msg": "refused"}, time.time() + 60)
    assert memory.get("k", "task-1") == {"failed": True, "msg": "refused"}
    assert memory.get("k", "task-2") is None


def test_what_does_not_fit_or_serialise_is_not_kept():
    memory = action._RunMemory()  # pylint: disable=protected-access
    memory.put("small", None, {"ticket": "7T:x"}, time.time() + 60)
    memory.put("huge", None, {"ticket": "x" * action.SIZE}, time.time() + 60)
    memory.put("odd", None, {"ticket": object()}, time.time() + 60)
    assert memory.get("huge", None) is None and memory.get("odd", None) is None
    assert memory.get("small", None) == {"ticket": "7T:x"}


def plugin(args, check_mode=False, uuid="task-1"):
    task = mock.MagicMock(args=args, _uuid=uuid, environment=None)
    play_context = mock.MagicMock(check_mode=check_mode)
    module = action.ActionModule(task, mock.MagicMock(), play_context, mock.MagicMock(), mock.MagicMock(),
                                 mock.MagicMock())
    module._compute_environment_string = lambda raw: raw.clear()  # pylint: disable=protected-access
    return module


def _worker(calls, results, args, check_mode, uuid, answer):
    def execute(**_kwargs):
        with calls.get_lock():
            calls.value += 1
        time.sleep(0.5)
        return dict(answer)

    module = plugin(args, check_mode, uuid)
    module._execute_module = execute  # pylint: disable=protected-access
    results.put(module._login({"inventory_hostname": "h"}))  # pylint: disable=protected-access


def run_workers(count, args, check_mode=False, uuid="task-1", answer=None):
    calls = FORK.Value("i", 0)
    results = FORK.Queue()
    workers = [FORK.Process(target=_worker, args=(calls, results, args, check_mode, uuid,
                                                  answer or {"ticket": "7T:shared", "changed": False}))
               for number in range(count)]
    for worker in workers:
        worker.start()
    found = [results.get(timeout=30) for worker in workers]
    for worker in workers:
        worker.join()
    return calls.value, found


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    monkeypatch.setattr(action, "RUN_MEMORY", action._RunMemory())  # pylint: disable=protected-access


def test_workers_started_together_log_in_once_and_all_get_the_result():
    calls, found = run_workers(5, {"tenant": "Cust1", "system_user_token": "s"})
    assert calls == 1 and found == [{"ticket": "7T:shared", "changed": False}] * 5


def test_a_later_task_with_the_same_options_reuses_other_options_log_in():
    assert run_workers(2, {"tenant": "Cust1"}, uuid="task-1")[0] == 1
    assert run_workers(2, {"tenant": "Cust1"}, uuid="task-2")[0] == 0
    assert run_workers(2, {"tenant": "Cust2"}, uuid="task-3")[0] == 1
    assert run_workers(2, {"tenant": "Cust1"}, check_mode=True, uuid="task-4")[0] == 1


def test_a_refusal_reaches_the_hosts_of_its_task_only():
    refused = {"failed": True, "changed": False, "msg": "refused. Nothing was run.", "error": {"kind": "auth"},
               "invocation": {"module_args": {}}}
    calls, found = run_workers(3, {"tenant": "Cust9"}, uuid="task-1", answer=refused)
    assert calls == 1
    # The host that logged in gets the module's whole answer, the others its failure, message and error.
    assert sorted(sorted(result) for result in found) == [["changed", "error", "failed", "invocation", "msg"]] + [
        ["changed", "error", "failed", "msg"]] * 2
    assert set(result["msg"] for result in found) == {"refused. Nothing was run."}
    assert run_workers(1, {"tenant": "Cust9"}, uuid="task-2", answer=refused)[0] == 1


def test_without_shared_memory_each_host_logs_in(monkeypatch):
    monkeypatch.setattr(action, "RUN_MEMORY", None)
    assert run_workers(3, {"tenant": "Cust1"})[0] == 3


def test_the_result_with_a_credential_is_hidden():
    module = plugin({"tenant": "Cust1"})
    with mock.patch.object(action.ActionBase, "run", side_effect=lambda *args, **kwargs: {}):
        module._execute_module = lambda **_kwargs: {"refresh_token": "rt-1", "access_token": "8A:x"}  # pylint: disable=protected-access
        assert module.run(task_vars={})["_ansible_no_log"] is True
        module._task.args = {"tenant": "Cust2"}  # pylint: disable=protected-access
        module._execute_module = lambda **_kwargs: {"failed": True, "msg": "no"}  # pylint: disable=protected-access
        assert "_ansible_no_log" not in module.run(task_vars={})
