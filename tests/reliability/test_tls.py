# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""TLS: HTTPS in front of the simulators with a private CA.

The fault proxy terminates TLS with a certificate signed by a CA made for
the test run. Verification is on by default and fails with a message that
names ca_path; ca_path with the CA bundle makes it pass; validate_certs:
false passes with a warning. A failed handshake is never retried and runs
nothing.
"""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.reliability.reliability_helpers import CRMSCRIPT, EVENT_HANDLERS, ZABBIX, no_traceback
from ansible_collections.scriptbridge.core.tests.simulators.faults import FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import TICKET, SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

# The tests share one module-scoped run: keep them on one worker (pytest -n 2 --dist loadgroup).
pytestmark = pytest.mark.xdist_group("tls")


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_ca(directory, label):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name("scriptbridge test CA " + label))
            .issuer_name(_name("scriptbridge test CA " + label)).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    path = directory / ("ca-%s.pem" % label)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def make_server_cert(directory, label, ca, names):
    ca_key, ca_cert, dummy = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
    cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = directory / ("%s.pem" % label), directory / ("%s.key" % label)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


# (name, module, extra args, which proxy, expected: "ok", "ok with warning" or a word of the failure message)
def scenarios(ca_path, other_ca_path, missing_ca_path):
    items = []
    for module in (ZABBIX, CRMSCRIPT, EVENT_HANDLERS):
        short = module.rsplit(".", maxsplit=1)[-1]
        items += [
            ("%s: verification on by default" % short, module, {}, "good", "ca_path"),
            ("%s: ca_path" % short, module, {"ca_path": ca_path}, "good", "ok"),
            ("%s: validate_certs false" % short, module, {"validate_certs": False}, "good", "ok with warning"),
            ("%s: ca_path of another CA" % short, module, {"ca_path": other_ca_path}, "good", "certificate"),
            ("%s: certificate for another name" % short, module, {"ca_path": ca_path}, "wrong name", "127.0.0.1"),
        ]
    items += [
        ("zabbix_script_execute: ca_path that does not exist", ZABBIX, {"ca_path": missing_ca_path}, "good", "ca_path"),
        ("superoffice_crmscript_execute: ca_path that does not exist", CRMSCRIPT, {"ca_path": missing_ca_path}, "good",
         "ca_path"),
        ("superoffice_crmscript_execute: validate_certs false wins over ca_path", CRMSCRIPT,
         {"validate_certs": False, "ca_path": other_ca_path}, "good", "ok with warning"),
    ]
    return items


class TlsRun:
    def __init__(self, tmp):
        ca = make_ca(tmp, "main")
        other = make_ca(tmp, "other")
        good = make_server_cert(tmp, "good", ca, ["localhost", "127.0.0.1"])
        wrong_name = make_server_cert(tmp, "wrong-name", ca, ["other.example"])
        self.items = scenarios(str(ca[2]), str(other[2]), str(tmp / "no-such-ca.pem"))
        self.proxies = {}
        with ZabbixSimulator(version="7.0", hosts=20) as zabbix, SuperOfficeSimulator(mode="onsite") as superoffice:
            upstream = {ZABBIX: (zabbix.url, ""), CRMSCRIPT: (superoffice.root_url, superoffice.base),
                        EVENT_HANDLERS: (superoffice.root_url, superoffice.base)}
            tasks = []
            try:
                for name, module, extra, which, dummy in self.items:
                    root, base = upstream[module]
                    proxy = FaultProxy(root, tls=good if which == "good" else wrong_name).start()
                    self.proxies[name] = proxy
                    args = self.module_args(module, proxy.url + base)
                    args.update(extra)
                    tasks.append({"name": name, module: args})
                self.run = run_play(tasks, control=[zabbix.url, superoffice.root_url])
            finally:
                for proxy in self.proxies.values():
                    proxy.stop()

    @staticmethod
    def module_args(module, url):
        if module == ZABBIX:
            return {"url": url, "api_token": API_TOKEN, "script_id": "10", "host": "host-001"}
        if module == CRMSCRIPT:
            return {"url": url, "ticket": TICKET, "script_id": 1}
        return {"url": url, "ticket": TICKET, "event_type": "TicketSave"}


@pytest.fixture(scope="module")
def tls_run(tmp_path_factory):
    return TlsRun(tmp_path_factory.mktemp("tls"))


NAMES = [item[0] for item in scenarios("ca", "other", "missing")]


@pytest.mark.parametrize("name", NAMES)
def test_tls(tls_run, name):
    item = dict((i[0], i) for i in tls_run.items)[name]
    dummy, module, extra, which, expected = item
    result = tls_run.run[name]
    proxy = tls_run.proxies[name]
    ran = sum(len(stats["executions"]) for stats in tls_run.run.sims(name))
    no_traceback(tls_run.run, result)
    warnings = " ".join(result.get("warnings") or [])
    if expected.startswith("ok"):
        assert not result.get("failed"), result
        assert ran == 1
        assert proxy.count() >= 1
        assert ("validate_certs" in warnings) is (expected == "ok with warning"), warnings
    else:
        assert result.get("failed") is True, result
        assert expected in result["msg"], result["msg"]
        assert ran == 0
        # Nothing got through, and a failed handshake is not tried again.
        assert proxy.count() == 0
        assert proxy.connections <= 1
        assert result.get("changed") is False
        if "ca_path" in extra and expected == "ca_path":
            assert extra["ca_path"] in result["msg"]
        else:
            assert "TLS" in result["msg"] and "certificate" in result["msg"].lower(), result["msg"]
