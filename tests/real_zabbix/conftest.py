"""Fixtures of the real-server suites: the stack must be up (``make real-zabbix`` does that).

The objects the tests need are made once per session and server version
through the API and removed at the end; a session that died half-way leaves
nothing that the next one cannot reuse or replace. ``real``/``observer`` are
the 6.0 server's, ``real70``/``observer70`` the 7.0 server's.
"""

import pytest

from ansible_collections.scriptbridge.core.tests.real_zabbix.realzabbix import STACKS, Fixture, Observer, ZabbixApi, answering


class Servers:
    """The fixture objects of each version, made when first asked for and removed at the end."""

    def __init__(self):
        self.fixtures = {}
        self.observers = {}

    def fixture(self, version):
        if version not in self.fixtures:
            target = STACKS[version]
            release = answering(target.url)
            if release is None:
                pytest.fail("no Zabbix %s API answers at %s: start it with 'sudo tests/real_zabbix/zabbix-stack.sh up' "
                            "(or run 'sudo make real-zabbix')" % (version, target.url), pytrace=False)
            assert release == target.release, "the %s stack runs Zabbix %s" % (version, release)
            fixture = Fixture(ZabbixApi(target.url), target)
            self.fixtures[version] = fixture
            fixture.ensure()
        return self.fixtures[version]

    def observer(self, version):
        if version not in self.observers:
            fixture = self.fixture(version)
            self.observers[version] = Observer(fixture.api, fixture)
        return self.observers[version]

    def close(self):
        for watch in self.observers.values():
            watch.close()
        for fixture in self.fixtures.values():
            fixture.remove()


@pytest.fixture(scope="session")
def servers():
    found = Servers()
    try:
        yield found
    finally:
        found.close()


@pytest.fixture(scope="session")
def real(servers):
    """The 6.0 server's fixture objects."""
    return servers.fixture("6.0")


@pytest.fixture(scope="session")
def observer(servers):
    """Tells what the 6.0 server did between ``mark()`` and ``stats()``; also as control endpoints."""
    return servers.observer("6.0")


@pytest.fixture(scope="session")
def real70(servers):
    """The 7.0 server's fixture objects."""
    return servers.fixture("7.0")


@pytest.fixture(scope="session")
def observer70(servers):
    """Tells what the 7.0 server did between ``mark()`` and ``stats()``."""
    return servers.observer("7.0")
