#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One event source in a process of its own, loaded as ansible-rulebook loads it (runpy.run_path).

    eda_source_child.py zabbix SOURCE_FILE URL START STATE_FILE BACKLOG STEADY_POLLS
        runs zabbix_events (interval 1 s) until BACKLOG events were emitted and STEADY_POLLS more polls
        were made, then prints one JSON line of figures.
    eda_source_child.py webhook SOURCE_FILE PORT SECRET [STATE_FILE]
        runs a webhook source (superoffice_webhook, or eda.builtin.webhook when SOURCE_FILE is
        ansible_rulebook's webhook.py) on 127.0.0.1:PORT with the HMAC of SuperOffice until killed,
        draining its queue as the rules engine would.
"""

import asyncio
import json
import resource
import runpy
import sys
import time
import tracemalloc


async def drain(queue, counter):
    while True:
        await queue.get()
        counter[0] += 1


def zabbix(source_file, url, start, state_file, backlog, steady_polls):
    tracemalloc.start()
    module = runpy.run_path(source_file)
    backlog, steady_polls = int(backlog), int(steady_polls)
    figures = {"calls": [], "polls_after_backlog": 0}
    queue = asyncio.Queue(maxsize=1)  # as ansible-rulebook's
    counter = [0]
    began = time.perf_counter()
    cpu_began = time.process_time()

    class Counting(module["Poller"]):
        async def call(self, method, params):
            figures["calls"].append(method)
            return await super().call(method, params)

    async def sleep(seconds):
        if counter[0] >= backlog:
            if "backlog_seconds" not in figures:
                figures["backlog_seconds"] = time.perf_counter() - began
                figures["backlog_cpu_seconds"] = time.process_time() - cpu_began
                figures["backlog_event_get"] = figures["calls"].count("event.get")
                figures["backlog_calls"] = len(figures["calls"])
                figures["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
                figures["calls_mark"] = len(figures["calls"])
            else:
                figures["polls_after_backlog"] += 1
            if figures["polls_after_backlog"] >= steady_polls:
                raise asyncio.CancelledError()
        await asyncio.sleep(seconds)

    async def run():
        consumer = asyncio.ensure_future(drain(queue, counter))
        connector = module["Connector"](module["connection_options"]({"url": url, "username": "Admin", "password": "zabbix"}))
        options = module["poll_options"]({"interval": 1, "start": start, "state_file": state_file})
        try:
            await Counting(queue, connector, options, sleep=sleep).run()
        except asyncio.CancelledError:
            pass
        consumer.cancel()

    asyncio.run(run())
    steady = figures["calls"][figures.pop("calls_mark"):]
    figures["steady_polls"] = figures["polls_after_backlog"]
    figures["steady_event_get"] = steady.count("event.get")
    figures["steady_calls"] = len(steady)
    figures["emitted"] = counter[0]
    figures["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del figures["calls"]
    print(json.dumps(figures), flush=True)


def webhook(source_file, port, secret, state_file=None):
    module = runpy.run_path(source_file)
    if source_file.endswith("superoffice_webhook.py"):
        args = {"host": "127.0.0.1", "port": int(port), "secret": secret}
        if state_file:
            args["state_file"] = state_file
    else:
        # ansible.eda.webhook / eda.builtin.webhook with SuperOffice's HMAC (docs/event-driven-ansible.md).
        args = {"host": "127.0.0.1", "port": int(port), "hmac_secret": secret, "hmac_algo": "sha256",
                "hmac_header": "x-superoffice-signature", "hmac_format": "base64"}
    queue = asyncio.Queue(maxsize=1)
    counter = [0]

    async def run():
        consumer = asyncio.ensure_future(drain(queue, counter))
        await module["main"](queue, args)
        consumer.cancel()

    asyncio.run(run())


if __name__ == "__main__":
    if sys.argv[1] == "zabbix":
        zabbix(*sys.argv[2:])
    else:
        webhook(*sys.argv[2:])
