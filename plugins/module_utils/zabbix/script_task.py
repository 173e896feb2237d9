# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Running one Zabbix script on many targets: the task of ``zabbix_script_execute``.

The order of work is fixed so that nothing runs unless everything checkable
was checked: options, then the API version, then the script, then every
target name in one bulk call, and only then ``script.execute`` once per target,
several at a time, never repeated. ``predict()`` (check mode) stops before
``script.execute`` and asks where the script applies instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    InvalidParamsError,
    OptionError,
    ScriptBridgeError,
    UnsupportedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import NOT_JSON, parse_json
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import Task
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import (
    SCOPE_ACTION,
    SCOPE_EVENT,
    SCOPE_HOST,
    SCOPE_NAMES,
    TYPE_URL,
    script_may_have_run,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.connection import ZABBIX
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.options import check_ids, check_listed

DEFAULT_CONCURRENCY = 4

# option -> (target kind, identified by, several values)
TARGET_OPTIONS = {
    "host_id": ("host", "id", False),
    "host": ("host", "name", False),
    "host_ids": ("host", "id", True),
    "hosts": ("host", "name", True),
    "event_id": ("event", "id", False),
    "event_ids": ("event", "id", True),
}


ARGUMENT_SPEC = dict(
    script_id=dict(type="str", aliases=["scriptid"]),
    script=dict(type="str"),
    menu_path=dict(type="str"),
    host_id=dict(type="str", aliases=["hostid"]),
    host=dict(type="str"),
    host_ids=dict(type="list", elements="str"),
    hosts=dict(type="list", elements="str"),
    event_id=dict(type="str", aliases=["eventid"]),
    event_ids=dict(type="list", elements="str"),
    manualinput=dict(type="str"),
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
    fail_on_error=dict(type="bool", default=True),
)

CONSTRAINTS = dict(
    mutually_exclusive=[["script_id", "script"], list(TARGET_OPTIONS)],
    required_one_of=[["script_id", "script"], list(TARGET_OPTIONS)],
    required_by={"menu_path": "script"},
)


class Target:
    """One host or event the script runs on, and what happened there."""

    def __init__(self, kind, host_id=None, host=None, event_id=None):
        self.kind = kind
        self.host_id = host_id
        self.host = host
        self.event_id = event_id

    @property
    def label(self):
        if self.kind == "event":
            return "event %s" % self.event_id
        return self.host or "host %s" % self.host_id

    def result(self, **extra):
        entry = {"host_id": self.host_id, "host": self.host, "event_id": self.event_id}
        entry.update(extra)
        return entry


def read_targets(params):
    """(kind, by, values) from the one target option that is set, checked."""
    option = next(name for name in TARGET_OPTIONS if params.get(name) is not None)
    kind, by, several = TARGET_OPTIONS[option]
    values = params[option] if several else [params[option]]
    return kind, by, check_listed(option, values, kind, numeric=by == "id")


def check_options(params):
    """The task's options, checked: (kind, by, values) of the targets besides the options themselves."""
    if params["concurrency"] < 1:
        raise OptionError("concurrency must be 1 or more, not %s." % params["concurrency"])
    if params.get("script_id") is not None:
        check_ids("script_id", [params["script_id"]])
    elif not params["script"].strip():
        raise OptionError("script is empty: give the script's name, or script_id.")
    options = dict((name, params.get(name)) for name in ARGUMENT_SPEC)
    options["kind"], options["by"], options["values"] = read_targets(params)
    return options


def describe_script(script):
    """The ``script`` return value: what was run, with numbers as numbers."""
    return {
        "scriptid": script.get("scriptid"),
        "name": script.get("name"),
        "type": _int(script.get("type")),
        "scope": _int(script.get("scope")),
        "execute_on": _int(script.get("execute_on")),
        "menu_path": script.get("menu_path", ""),
    }


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def check_script(script, kind, manualinput, rules):
    """Refuse what ``script.execute`` would refuse for every target alike."""
    name = "Script %r (id %s)" % (script.get("name"), script.get("scriptid"))
    scope, script_type = _int(script.get("scope")), _int(script.get("type"))
    if script_type == TYPE_URL:
        raise UnsupportedError("%s is a URL script: Zabbix opens URL scripts in the browser and cannot execute them." % name)
    if scope == SCOPE_ACTION:
        raise UnsupportedError(
            "%s has the scope \"action operation\": only actions run it. Give it the scope \"manual host action\" "
            "or \"manual event action\" to run it from the API." % name
        )
    wanted = SCOPE_EVENT if kind == "event" else SCOPE_HOST
    # Zabbix 5.0 scripts have no scope: they all run on hosts.
    if scope != wanted and not (scope is None and kind == "host"):
        raise InvalidParamsError(
            "%s has the scope %r, so it runs on %s; it cannot run on %s. Use %s instead."
            % (name, SCOPE_NAMES.get(scope, scope), "events" if scope == SCOPE_EVENT else "hosts",
               "events" if kind == "event" else "hosts",
               "event_id or event_ids" if scope == SCOPE_EVENT else "a host option (host, hosts, host_id, host_ids)")
        )
    if rules.manualinput and _int(script.get("manualinput")) == 1 and manualinput is None:
        prompt = script.get("manualinput_prompt")
        raise InvalidParamsError(
            "%s asks for user input%s: set manualinput." % (name, " (%r)" % prompt if prompt else "")
        )


def validate_manualinput(script, manualinput):
    """Check ``manualinput`` against the script's validator, as far as Python can judge it.

    Returns an error text, or None when the input passes or the validator
    cannot be judged here (a PCRE pattern that Python does not understand).
    """
    if manualinput is None or _int(script.get("manualinput")) != 1:
        return None
    validator = script.get("manualinput_validator") or ""
    if _int(script.get("manualinput_validator_type")) == 1:
        allowed = [v.strip() for v in validator.split(",")]
        if manualinput not in allowed:
            return "manualinput %r is not one of the values the script allows: %s." % (manualinput, ", ".join(allowed))
        return None
    try:
        pattern = re.compile(validator)
    except re.error:
        return None
    if not pattern.search(manualinput):
        return "manualinput %r does not match the script's validator %r." % (manualinput, validator)
    return None


def value_fields(result):
    """``response``, ``value``, ``value_json`` and ``debug`` of one success."""
    value = result.get("value")
    fields = {"response": result.get("response"), "value": value, "debug": result.get("debug") or {}}
    parsed = parse_json(value) if isinstance(value, str) else NOT_JSON
    if parsed is not NOT_JSON:
        fields["value_json"] = parsed
    return fields


def ordered_map(func, items, concurrency):
    """``func`` over ``items``, at most ``concurrency`` at once, results in order."""
    if len(items) <= 1 or concurrency <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(func, items))


class ZabbixScriptTask(Task):
    """The task of ``zabbix_script_execute``: one script, on one or more hosts or events."""

    connection = ZABBIX
    argument_spec = ARGUMENT_SPEC
    constraints = CONSTRAINTS

    def __init__(self, options, client):
        super(ZabbixScriptTask, self).__init__(options, client)
        self.kind, self.by, self.values = options["kind"], options["by"], options["values"]
        self.concurrency = options["concurrency"]
        self.manualinput = options.get("manualinput")

    check_options = staticmethod(check_options)

    @classmethod
    def client_settings(cls, options):
        return {"pool_size": options["concurrency"]}

    def predict(self):
        script, targets = self._prepare()
        return self._outcome(script, self._predict(script, targets), check_mode=True)

    def execute(self):
        script, targets = self._prepare()
        results = ordered_map(lambda t: self._execute(script, t), targets, self.concurrency)
        return self._outcome(script, results, check_mode=False)

    def _prepare(self):
        """The API version and its limits, the session, the script and the targets: all before anything runs."""
        client = self.client
        rules = client.detect_version()
        if self.manualinput is not None:
            client.require("manualinput", "manualinput needs Zabbix 7.0 or later")
        if self.kind == "event":
            client.require("event_targets", "Running scripts on events needs Zabbix 5.4 or later")
        client.refuse_broken_token_execute()
        client.login()
        return self._look_up(rules)

    def _look_up(self, rules):
        """The script, checked, and the targets.

        Both questions go out at the same time, so that they cost one round
        trip instead of two. The answers are judged in a fixed order, the
        script first, so the outcome is the same as asking one after the other.
        """
        def find_script():
            return self.client.script(script_id=self.options.get("script_id"), name=self.options.get("script"),
                                      menu_path=self.options.get("menu_path"))

        if self.concurrency < 2:
            script = find_script()
            check_script(script, self.kind, self.manualinput, rules)
            return script, self._resolve_targets()
        with ThreadPoolExecutor(max_workers=2) as pool:
            script_answer = pool.submit(find_script)
            targets_answer = pool.submit(self._resolve_targets)
            script = script_answer.result()
            check_script(script, self.kind, self.manualinput, rules)
            return script, targets_answer.result()

    def _resolve_targets(self):
        client, values = self.client, self.values
        if self.kind == "event":
            targets = []
            for event in client.events_by_id(values):
                hosts = event.get("hosts") or [{}]
                targets.append(Target("event", hosts[0].get("hostid"), hosts[0].get("host"), event["eventid"]))
            return targets
        found = client.hosts_by_name(values) if self.by == "name" else client.hosts_by_id(values)
        return [Target("host", h["hostid"], h["host"]) for h in found]

    def _execute(self, script, target):
        try:
            result = self.client.execute(script["scriptid"], hostid=target.host_id if target.kind == "host" else None,
                                         eventid=target.event_id, manualinput=self.manualinput)
        except ScriptBridgeError as exc:
            return target.result(response=None, value=None, debug={}, failed=True, error=exc.to_dict(),
                                 may_have_run=script_may_have_run(exc))
        return target.result(failed=False, may_have_run=True, **value_fields(result))

    def _predict(self, script, targets):
        """What would run: every check the API offers without running anything."""
        problem = validate_manualinput(script, self.manualinput)
        allowed = set()
        if problem is None:
            allowed = self.client.hosts_script_runs_on(script, [t.host_id for t in targets if t.host_id])
        results = []
        for target in targets:
            error = problem
            if error is None and target.host_id and target.host_id not in allowed:
                error = "Script %r cannot run on %s: it is limited to other host groups, or this user may not run it there." % (
                    script.get("name"), target.label)
            entry = target.result(would_execute=error is None, failed=error is not None, may_have_run=False)
            if error:
                entry["error"] = {"code": None, "message": error, "data": None,
                                  "kind": "invalid_params" if problem else "not_found_or_forbidden"}
            results.append(entry)
        return results

    def _outcome(self, script, results, check_mode):
        # A target where the script may have run changed something; in check mode, one where it would run.
        may_have_run = [r.pop("may_have_run") for r in results]
        changed = any(r["would_execute"] for r in results) if check_mode else any(may_have_run)
        failures = [r for r in results if r["failed"]]
        outcome = {
            "changed": changed,
            "results": results,
            "summary": {"total": len(results), "succeeded": len(results) - len(failures), "failed": len(failures)},
            "script": describe_script(script),
            "zabbix_version": self.client.version_text,
        }
        if len(results) == 1:
            for key in ("response", "value", "value_json", "debug"):
                if key in results[0]:
                    outcome[key] = results[0][key]
        if failures and self.options["fail_on_error"]:
            outcome["failed"] = True
            outcome["msg"] = _failure_message(script, results, failures, check_mode)
        return outcome


def _failure_message(script, results, failures, check_mode):
    shown = failures[:5]
    details = "; ".join("%s: %s" % (_label(r), r["error"]["message"].rstrip(".")) for r in shown)
    if len(failures) > len(shown):
        details += "; and %d more (see results)" % (len(failures) - len(shown))
    verb = "would fail" if check_mode else "failed"
    return "Script %r %s on %d of %d targets: %s. Set fail_on_error: false to get the results without failing the task." % (
        script.get("name"), verb, len(failures), len(results), details)


def _label(entry):
    if entry.get("event_id"):
        return "event %s" % entry["event_id"]
    return entry.get("host") or "host %s" % entry.get("host_id")
