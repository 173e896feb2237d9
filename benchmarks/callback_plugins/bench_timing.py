# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: write how long each task took to the file named by SCRIPTBRIDGE_BENCH_LOG.

A task's time runs from the moment the controller starts it to the moment its
(final) result arrives, so it holds everything a task costs on the controller
(worker fork, module build and transfer, the module process, result parsing)
and nothing of ansible-playbook's own start-up.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_timing
type: aggregate
short_description: write task durations to the file named by SCRIPTBRIDGE_BENCH_LOG
description:
  - Benchmark helper of scriptbridge.core.
requirements:
  - enable in configuration
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


def _digest(result):
    """What the benchmark checks in a result, without the bulk of it."""
    digest = {}
    for key in ("summary", "msg", "zabbix_version"):
        if key in result:
            digest[key] = result[key]
    items = result.get("results")
    if isinstance(items, list):
        digest["items"] = len(items)
        digest["items_failed"] = sum(1 for item in items if isinstance(item, dict) and item.get("failed"))
        digest["items_rpc_error"] = sum(
            1 for item in items if isinstance(item, dict) and isinstance(item.get("json"), dict) and "error" in item["json"]
        )
    return digest


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.time()

    def _write(self, result, status):
        path = os.environ.get("SCRIPTBRIDGE_BENCH_LOG")
        if not path:
            return
        ended = time.time()
        task = result._task
        started = self._started.get(task._uuid, ended)
        entry = {
            "task": task.get_name(),
            "status": status,
            "started": started,
            "ended": ended,
            "seconds": ended - started,
            "result": _digest(result._result),
        }
        with open(path, "a") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")
