# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: write every task result of a run to a JSON-lines file.

The playbook tests read results from this file instead of parsing the
human-readable output, and still see the output when something breaks.

With SCRIPTBRIDGE_SIM_CONTROL set to the control URLs of simulators
(``http://host:port/_sim/``, comma-separated), each simulator is reset when a
task starts and its statistics are attached to the task's entry, so a test
sees what the server received for that task alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: result_log
type: aggregate
short_description: write task results to the file named by SCRIPTBRIDGE_RESULT_LOG
description:
  - Test helper of scriptbridge.core.
requirements:
  - enable in configuration
"""

import json
import os
import urllib.request

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_log"
    CALLBACK_NEEDS_ENABLED = True

    @staticmethod
    def _control(action, method="GET"):
        answers = []
        for base in filter(None, os.environ.get("SCRIPTBRIDGE_SIM_CONTROL", "").split(",")):
            request = urllib.request.Request(base + action, data=b"{}" if method == "POST" else None, method=method)
            with urllib.request.urlopen(request, timeout=30) as answer:
                answers.append(json.load(answer))
        return answers

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._control("reset", "POST")

    def _write(self, result, status):
        path = os.environ.get("SCRIPTBRIDGE_RESULT_LOG")
        if not path:
            return
        outcome = dict(result._result)
        # as a registered variable shows it
        outcome.setdefault("failed", status == "failed")
        entry = {"task": result._task.get_name(), "status": status, "result": outcome, "sims": self._control("stats")}
        with open(path, "a") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")
