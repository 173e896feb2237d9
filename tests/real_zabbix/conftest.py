"""Fixtures of the real-server suites: the stack must be up (``make real-zabbix`` does that).

The objects the tests need are made once per session through the API and
removed at the end; a session that died half-way leaves nothing that the next
one cannot reuse or replace.
"""

import pytest

from ansible_collections.scriptbridge.core.tests.real_zabbix.realzabbix import URL, Fixture, Observer, ZabbixApi, answering


@pytest.fixture(scope="session")
def real_api():
    version = answering(URL)
    if version is None:
        pytest.fail("no Zabbix API answers at %s: start it with 'sudo tests/real_zabbix/zabbix-stack.sh up' "
                    "(or run 'sudo make real-zabbix')" % URL, pytrace=False)
    assert version.startswith("6.0."), "these suites are written for the stack's Zabbix 6.0, not %s" % version
    return ZabbixApi(URL)


@pytest.fixture(scope="session")
def real(real_api):
    """The fixture objects on the real server, removed at the end of the session."""
    fixture = Fixture(real_api)
    try:
        yield fixture.ensure()
    finally:
        fixture.remove()


@pytest.fixture(scope="session")
def observer(real_api, real):
    """Tells what the server did between ``mark()`` and ``stats()``; also as control endpoints."""
    watch = Observer(real_api, real)
    yield watch
    watch.close()
