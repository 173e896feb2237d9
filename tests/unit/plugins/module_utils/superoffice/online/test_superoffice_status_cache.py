# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tenant-status cache: kept until ValidUntil, private files, ignored when unusable, whole answers or none."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport, RetryPolicy
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online import login_service as login
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.client import OnlineSuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.status_cache import (
    MAX_VALIDITY,
    StatusCache,
    default_directory,
    valid_until,
)
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    APP_TOKEN,
    TICKET,
    SuperOfficeSimulator,
)

ENV = "https://online.superoffice.com"
T0 = datetime.datetime(2026, 2, 23, 9, 0, 0, tzinfo=datetime.timezone.utc).timestamp()


def answer(minutes=30, **changes):
    until = datetime.datetime.fromtimestamp(T0 + minutes * 60, datetime.timezone.utc)
    status = {"ContextIdentifier": "Cust12345", "Endpoint": "https://online2.superoffice.com/Cust12345",
              "State": "Running", "IsRunning": True, "ValidUntil": until.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
              "Api": "https://online2.superoffice.com/Cust12345/api", "Version": "Release_11.10"}
    status.update(changes)
    return status


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def cache(tmp_path, clock):
    return StatusCache(str(tmp_path / "scriptbridge-test"), clock=clock)


@pytest.mark.parametrize("text, seconds", [
    ("2026-02-23T09:52:01.9342965Z", 52 * 60 + 1.9342965),
    ("2026-02-23T09:52:01Z", 52 * 60 + 1),
    ("2026-02-23T09:52:01", 52 * 60 + 1),
    ("2026-02-23T10:52:01+01:00", 52 * 60 + 1),
    ("2026-02-23T08:52:01-0100", 52 * 60 + 1),
])
def test_valid_until_is_read_as_utc(text, seconds):
    assert valid_until(text) == pytest.approx(T0 + seconds)


@pytest.mark.parametrize("text", [None, "", "tomorrow", 1771840321, "2026-02-30T09:00:00Z", "2026-02-23"])
def test_an_unreadable_valid_until_is_none(text):
    assert valid_until(text) is None


def test_an_answer_is_kept_privately_and_served_until_valid_until(cache, clock):
    cache.put(ENV, "Cust12345", answer(minutes=30))
    assert stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700
    files = os.listdir(cache.directory)
    assert len(files) == 1 and files[0].startswith("tenant-status-") and files[0].endswith(".json")
    assert stat.S_IMODE(os.stat(os.path.join(cache.directory, files[0])).st_mode) == 0o600
    assert cache.get(ENV + "/", "cust12345") == answer(minutes=30)
    clock.now = T0 + 30 * 60 - 1
    assert cache.get(ENV, "Cust12345") is not None
    clock.now = T0 + 30 * 60
    assert cache.get(ENV, "Cust12345") is None


def test_environment_and_tenant_are_the_key(cache):
    cache.put(ENV, "Cust12345", answer())
    assert cache.get("https://sod.superoffice.com", "Cust12345") is None
    assert cache.get(ENV, "Cust12346") is None


def test_an_answer_already_stale_is_not_kept(cache):
    cache.put(ENV, "Cust12345", answer(minutes=0))
    cache.put(ENV, "Cust12345", answer(ValidUntil=None))
    assert not os.path.exists(cache.directory) or os.listdir(cache.directory) == []


def test_a_far_valid_until_is_trusted_for_a_day_at_most(cache, clock):
    cache.put(ENV, "Cust12345", answer(minutes=60 * 24 * 30))
    clock.now = T0 + MAX_VALIDITY - 1
    assert cache.get(ENV, "Cust12345") is not None
    clock.now = T0 + MAX_VALIDITY
    assert cache.get(ENV, "Cust12345") is None


def the_file(cache):
    (name,) = os.listdir(cache.directory)
    return os.path.join(cache.directory, name)


@pytest.mark.parametrize("spoil", ["garbage", "empty", "other tenant", "not an object", "open to others"])
def test_an_unusable_file_is_ignored(cache, spoil):
    cache.put(ENV, "Cust12345", answer())
    path = the_file(cache)
    with open(path) as handle:
        record = json.load(handle)
    text = {"garbage": "{not json", "empty": "", "not an object": "[1, 2]",
            "other tenant": json.dumps(dict(record, tenant="Cust1"))}.get(spoil)
    if text is None:
        os.chmod(path, 0o644)
    else:
        with open(path, "w") as handle:
            handle.write(text)
    assert cache.get(ENV, "Cust12345") is None


def test_a_directory_open_to_others_or_a_symlink_is_not_used(tmp_path, clock):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(str(shared), 0o777)
    cache = StatusCache(str(shared), clock=clock)
    cache.put(ENV, "Cust12345", answer())
    assert os.listdir(str(shared)) == []
    private = tmp_path / "private"
    link = tmp_path / "link"
    StatusCache(str(private), clock=clock).put(ENV, "Cust12345", answer())
    os.symlink(str(private), str(link))
    assert StatusCache(str(link), clock=clock).get(ENV, "Cust12345") is None
    assert StatusCache(str(private), clock=clock).get(ENV, "Cust12345") is not None


def test_an_unwritable_place_is_no_error(tmp_path, clock):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    cache = StatusCache(str(blocked / "sub"), clock=clock)
    cache.put(ENV, "Cust12345", answer())
    assert cache.get(ENV, "Cust12345") is None


def test_the_default_place_is_per_user(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    assert default_directory() == os.path.join(str(tmp_path), "scriptbridge-%d" % os.getuid())


def _writer(directory, rounds):
    cache = StatusCache(directory, clock=lambda: T0)
    for number in range(rounds):
        cache.put(ENV, "Cust12345", answer(Version="v%d" % number, Padding="x" * (number % 7) * 4000))


def test_parallel_writers_leave_whole_answers_and_no_temporary_files(cache):
    writers = [multiprocessing.get_context("fork").Process(target=_writer, args=(cache.directory, 60))
               for number in range(4)]
    os.makedirs(cache.directory, mode=0o700)
    for writer in writers:
        writer.start()
    while any(writer.is_alive() for writer in writers):
        kept = cache.get(ENV, "Cust12345")
        if kept is not None:
            assert kept["Version"].startswith("v") and kept["State"] == "Running"
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert cache.get(ENV, "Cust12345")["Version"].startswith("v")
    assert [name for name in os.listdir(cache.directory) if not name.startswith("tenant-status-")] == []


# -- the exchanges with a cache ------------------------------------------------------------------------------------


def transport():
    return HttpTransport(timeout=5, redactor=Redactor(), retry=RetryPolicy(attempts=1))


def test_tenant_status_uses_a_kept_answer_and_fresh_asks_again(http_server, tmp_path):
    status_cache = StatusCache(str(tmp_path / "c"), clock=lambda: T0)
    http_server.add(body=answer())
    http_server.add(body=answer(Api="https://online3.superoffice.com/Cust12345/api"))
    first = login.tenant_status(transport(), http_server.url, "Cust12345", status_cache)
    again = login.tenant_status(transport(), http_server.url, "Cust12345", status_cache)
    assert first.url == again.url == "https://online2.superoffice.com/Cust12345"
    assert len(http_server.requests) == 1
    moved = login.tenant_status(transport(), http_server.url, "Cust12345", status_cache, fresh=True)
    assert moved.url == "https://online3.superoffice.com/Cust12345" and len(http_server.requests) == 2
    assert login.tenant_status(transport(), http_server.url, "Cust12345", status_cache).url == moved.url


def test_a_tenant_that_is_not_running_is_never_kept(http_server, tmp_path):
    status_cache = StatusCache(str(tmp_path / "c"), clock=lambda: T0)
    http_server.add(body=answer(State="Suspended", IsRunning=False))
    http_server.add(body=answer())
    with pytest.raises(Exception, match="is Suspended"):
        login.tenant_status(transport(), http_server.url, "Cust12345", status_cache)
    assert login.tenant_status(transport(), http_server.url, "Cust12345", status_cache).url
    assert len(http_server.requests) == 2


@pytest.fixture(scope="module")
def tenant():
    with SuperOfficeSimulator(mode="online") as sim:
        yield sim


def test_clients_share_the_kept_status_and_a_421_asks_afresh(tenant, tmp_path):
    with SuperOfficeSimulator(mode="online", expected_host="127.0.0.1") as moved, \
            env.EnvironmentHost(status_valid_for=300) as host:
        host.add_tenant("Cust421", "http://localhost:%d/Cust12345/api" % moved.port, moved.url + "/api")
        status_cache = StatusCache(str(tmp_path / "c"))
        arguments = dict(tenant="Cust421", environment=host.url, ticket=TICKET, app_token=APP_TOKEN, timeout=5,
                         status_cache=status_cache)
        with OnlineSuperOfficeClient(None, **arguments) as client:
            assert client.execute_script(1, {}) == "Hello, World!"
        assert host.count("state") == 2  # the kept answer led to a 421: asked afresh, and kept anew
        with OnlineSuperOfficeClient(None, **arguments) as client:
            assert client.url == moved.url and client.execute_script(1, {}) == "Hello, World!"
        assert host.count("state") == 2
        assert len(moved.stats()["executions"]) == 2
