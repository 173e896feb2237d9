"""The collection as an execution environment runs it: through ansible-runner.

AWX and Automation Platform run job templates with ansible-runner inside the
execution environment. There is no container engine here, so this test does
the rest of what the image would: it builds the collection tarball, installs
it the way the image's galaxy stage does (``ansible-galaxy collection install``
of the tarball, offline), and runs a job through ``ansible_runner.run()`` with
a private data directory (project, inventory, env/envvars) against the
simulators. The job must succeed, run exactly what it says, and leave no
credential in its output or artifacts.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest

from ansible_collections.scriptbridge.core.tests.simulators import superoffice_sim
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def galaxy(*args, cwd):
    subprocess.run([str(BIN / "ansible-galaxy"), "collection"] + list(args), cwd=str(cwd), check=True,
                   capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection as the image holds it: built into a tarball and installed from it."""
    base = tmp_path_factory.mktemp("ee")
    galaxy("build", "--force", "--output-path", str(base / "dist"), str(ROOT), cwd=base)
    tarball = next((base / "dist").glob("scriptbridge-core-*.tar.gz"))
    galaxy("install", "--offline", "-p", str(base / "collections"), str(tarball), cwd=base)
    return base / "collections"


@pytest.fixture(scope="module")
def job(installed, tmp_path_factory):
    data = tmp_path_factory.mktemp("private_data_dir")
    shutil.copytree(HERE / "project", data / "project")
    shutil.copytree(HERE / "inventory", data / "inventory")
    with ZabbixSimulator(version="7.0", hosts=5) as zabbix, SuperOfficeSimulator(mode="online") as superoffice:
        envvars = {
            "ANSIBLE_COLLECTIONS_PATH": str(installed),
            "ANSIBLE_NOCOLOR": "1",
            "ZABBIX_URL": zabbix.url,
            "ZABBIX_API_TOKEN": API_TOKEN,
            "SUPEROFFICE_URL": superoffice.url,
            "SUPEROFFICE_ACCESS_TOKEN": superoffice_sim.ACCESS_TOKEN,
            "PATH": "%s:%s" % (BIN, os.environ.get("PATH", "")),
        }
        (data / "env").mkdir()
        (data / "env" / "envvars").write_text(json.dumps(envvars))
        runner = ansible_runner.run(private_data_dir=str(data), playbook="scriptbridge.yml", quiet=True,
                                    timeout=300)
        yield runner, data, zabbix.stats(), superoffice.stats()


def task_results(runner):
    return dict((e["event_data"]["task"], e["event_data"]["res"]) for e in runner.events
                if e["event"] in ("runner_on_ok", "runner_on_failed"))


def test_the_tarball_carries_the_collection_and_its_ee_metadata(installed):
    collection = installed / "ansible_collections" / "scriptbridge" / "core"
    assert (collection / "meta" / "execution-environment.yml").is_file()
    requirements = (collection / "requirements.txt").read_text()
    assert requirements.count("requests") == 1
    assert "cryptography" in requirements and "PyJWT" in requirements
    assert (collection / "plugins" / "action" / "superoffice_login.py").is_file()
    modules = sorted(p.name for p in (collection / "plugins" / "modules").glob("*.py"))
    assert modules == ["superoffice_crmscript_execute.py", "superoffice_event_handlers.py", "superoffice_login.py",
                       "zabbix_event_acknowledge.py", "zabbix_script_execute.py"]


def test_the_job_succeeds(job):
    runner, _data, _zabbix, _superoffice = job
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()
    assert runner.stats["ok"] == {"localhost": 5} and runner.stats["changed"] == {"localhost": 4}
    assert not runner.stats["failures"]


def test_the_job_ran_what_it_says(job):
    runner, _data, zabbix, superoffice = job
    results = task_results(runner)
    assert [r["would_execute"] for r in results["Check which hosts the script would run on"]["results"]] == [True] * 3
    run = results["Run it there"]
    assert [r["host"] for r in run["results"]] == ["host-001", "host-002", "host-003"]
    assert run["summary"] == {"total": 3, "succeeded": 3, "failed": 0}
    # the check-mode task ran nothing: three executions, all from the real run
    assert sorted(e["hostid"] for e in zabbix["executions"]) == ["20001", "20002", "20003"]
    assert results["Report the outcome to the CRM"]["output"] == "recorded"
    assert superoffice["reports"][-1]["status"] == "succeeded"
    assert "Remediation requested for ticket 4711: Ping on 3 of 3 hosts, CRM says recorded" in \
        results["Show what happened"]["msg"]


def test_no_credential_reaches_the_job_output_or_artifacts(job):
    runner, data, _zabbix, _superoffice = job
    secrets = [API_TOKEN, superoffice_sim.ACCESS_TOKEN]
    output = runner.stdout.read() + json.dumps(list(runner.events))
    # The job's output as AWX stores it: stdout and job events. (The artifact "command" records
    # the environment the job was started with, which holds the credentials by design.)
    artifacts = "".join(p.read_text(errors="replace") for p in (data / "artifacts").rglob("*")
                        if p.is_file() and (p.name == "stdout" or p.parent.name == "job_events"))
    assert "localhost" in artifacts
    for secret in secrets:
        assert secret not in output
        assert secret not in artifacts


@pytest.fixture(scope="module")
def demo_job(installed, tmp_path_factory):
    """The README's demo play, all of it, as one job through ansible-runner."""
    data = tmp_path_factory.mktemp("demo_private_data_dir")
    (data / "project").mkdir()
    shutil.copy(ROOT / "demo" / "remediation.yml", data / "project" / "remediation.yml")
    shutil.copytree(HERE / "inventory", data / "inventory")
    with ZabbixSimulator(version="7.0", hosts=20) as zabbix, SuperOfficeSimulator(mode="onsite") as superoffice:
        envvars = {
            "ANSIBLE_COLLECTIONS_PATH": str(installed),
            "ANSIBLE_NOCOLOR": "1",
            "ZABBIX_URL": zabbix.url,
            "ZABBIX_API_TOKEN": API_TOKEN,
            "SUPEROFFICE_URL": superoffice.url,
            "SUPEROFFICE_USERNAME": superoffice_sim.USERNAME,
            "SUPEROFFICE_PASSWORD": superoffice_sim.PASSWORD,
            "PATH": "%s:%s" % (BIN, os.environ.get("PATH", "")),
        }
        (data / "env").mkdir()
        (data / "env" / "envvars").write_text(json.dumps(envvars))
        runner = ansible_runner.run(private_data_dir=str(data), playbook="remediation.yml", quiet=True, timeout=600)
        yield runner, zabbix.stats(), superoffice.stats()


def test_the_demo_play_runs_as_a_job(demo_job):
    runner, zabbix, superoffice = demo_job
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()
    # blocked and nothing to do ran no script; the remediation ran Echo host (10) on three hosts, the failure
    # Server failure (12) on two, and the problem tickets Event echo (16) on two events
    ran = sorted((e["scriptid"], e.get("eventid") or e["hostid"]) for e in zabbix["executions"])
    assert ran == [("10", "20001"), ("10", "20002"), ("10", "20003"), ("12", "20004"), ("12", "20005"),
                   ("16", "1003"), ("16", "1004")]
    assert [r["status"] for r in superoffice["reports"]] == ["blocked", "nothing_to_do", "succeeded", "failed"]
