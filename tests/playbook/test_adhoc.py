"""The commands of docs/quickstart.md, run as written against the simulators.

The quick start is a transcript: ``console`` blocks hold ``$ export``,
``$ ansible ...`` and ``$ ansible-playbook ...`` lines, each command followed
by an excerpt of what it prints; ``yaml`` blocks whose first line is
``# <file>.yml`` are the playbooks it runs. This test starts the simulators the
page starts (same version and mode), runs every ``ansible`` and
``ansible-playbook`` line through bash in the environment the page exports
(with the simulators' real ports), and asserts that

- the status word (CHANGED, SUCCESS, FAILED!) of each ad-hoc command is the
  documented one, and a playbook's recap is the documented one;
- every other line of the excerpt appears in the output;
- the simulators ran exactly the scripts the page says ran: nothing in check
  mode or when a name does not resolve.
"""

import json
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import ROOT, ansible_env
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import ZabbixSimulator

PAGE = ROOT / "docs" / "quickstart.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.M | re.S)
DOC_ZABBIX = "http://127.0.0.1:8080"
DOC_SUPEROFFICE = "http://127.0.0.1:8081"


class Command:
    def __init__(self, line, expected, number):
        self.line = line
        self.expected = expected
        self.number = number

    @property
    def playbook(self):
        return self.line.startswith("ansible-playbook ")

    @property
    def check(self):
        return " --check " in " %s " % self.line or " -C " in " %s " % self.line

    def __repr__(self):
        return "quickstart command %d: %s" % (self.number, self.line)


def transcript():
    """(exports, commands, files, simulator start lines) of the page, in order."""
    text = PAGE.read_text(encoding="utf-8")
    exports, commands, files, starts = [], [], {}, []
    for lang, body in BLOCK.findall(text):
        lines = body.splitlines()
        if lang == "yaml" and lines and re.match(r"^# [\w.-]+\.yml$", lines[0]):
            files[lines[0][2:]] = body
        if lang != "console":
            continue
        current = None
        for line in lines:
            if line.startswith("$ "):
                current = None
                command = line[2:]
                if command.startswith("export "):
                    exports.append(command)
                elif command.startswith(("ansible ", "ansible-playbook ")):
                    current = Command(command, [], len(commands) + 1)
                    commands.append(current)
                elif "tests/simulators/" in command:
                    starts.append(command)
            elif current is not None and line.strip():
                current.expected.append(line)
    return exports, commands, files, starts


EXPORTS, COMMANDS, FILES, STARTS = transcript()


def simulator_option(name, default):
    for start in STARTS:
        words = shlex.split(start)
        if name in words:
            return words[words.index(name) + 1]
    return default


def test_the_page_is_a_transcript():
    """The page has what the other tests need, so that they cannot pass by finding nothing."""
    adhoc = [c for c in COMMANDS if not c.playbook]
    modules = {shlex.split(c.line)[shlex.split(c.line).index("-m") + 1] for c in adhoc}
    assert modules == {"scriptbridge.core.zabbix_script_execute", "scriptbridge.core.superoffice_crmscript_execute",
                       "scriptbridge.core.superoffice_event_handlers"}
    assert any(c.check for c in adhoc) and any(c.playbook for c in COMMANDS)
    assert all(c.expected for c in COMMANDS), "every command shows what it prints"
    assert len(STARTS) == 2 and FILES
    assert any("ZABBIX_URL=" in e for e in EXPORTS) and any("SUPEROFFICE_URL=" in e for e in EXPORTS)


@pytest.fixture(scope="module")
def sims():
    version = simulator_option("--version", "6.0")
    mode = simulator_option("--mode", "onsite")
    with ZabbixSimulator(version=version, hosts=10) as zabbix, SuperOfficeSimulator(mode=mode) as superoffice:
        yield zabbix, superoffice


def localise(text, zabbix, superoffice):
    """The page's URLs (fixed ports) replaced by those of the running simulators."""
    return text.replace(DOC_ZABBIX, zabbix.url).replace(DOC_SUPEROFFICE, superoffice.url.rsplit("/", 1)[0])


def normalise(line):
    return " ".join(line.strip().rstrip(",").split())


def run_command(command, zabbix, superoffice, workdir):
    script = "\n".join(["set -e"] + [localise(e, zabbix, superoffice) for e in EXPORTS] + [command.line])
    log = Path(workdir) / "results.jsonl"
    if log.exists():
        log.unlink()
    env = ansible_env({"SCRIPTBRIDGE_RESULT_LOG": str(log)})
    proc = subprocess.run(["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    results = [json.loads(line)["result"] for line in log.read_text().splitlines()] if log.exists() else []
    return proc, results


def executions(zabbix, superoffice):
    return len(zabbix.stats()["executions"]), len(superoffice.stats()["executions"])


@pytest.mark.parametrize("command", COMMANDS, ids=[c.line[:90] for c in COMMANDS])
def test_documented_command(command, sims):
    zabbix, superoffice = sims
    zabbix.reset()
    superoffice.reset()
    with tempfile.TemporaryDirectory() as workdir:
        for name, body in FILES.items():
            Path(workdir, name).write_text(localise(body, zabbix, superoffice))
        proc, results = run_command(command, zabbix, superoffice, workdir)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    # No warning a reader of the page would have to wonder about (a library's deprecation, say).
    assert "warning" not in proc.stderr.lower(), proc.stderr
    lines = {normalise(line) for line in proc.stdout.splitlines()}
    if command.playbook:
        recap = [normalise(e) for e in command.expected if re.match(r"^localhost\s+: ok=", e)]
        assert recap and recap[0] in lines, output
        assert proc.returncode == (2 if "failed=0" not in recap[0] else 0), output
        expected_lines = [e for e in command.expected if not re.match(r"^localhost\s+: ok=", e)]
    else:
        status = re.match(r"^localhost \| ([A-Z!]+)", command.expected[0]).group(1)
        assert re.search(r"^localhost \| %s" % re.escape(status), proc.stdout, re.M), output
        assert proc.returncode == (2 if status == "FAILED!" else 0), output
        expected_lines = command.expected[1:]
        assert len(results) == 1
    for line in expected_lines:
        if normalise(line) in ("{", "}", "..."):
            continue
        assert normalise(line) in lines, "%r not in the output of %r:\n%s" % (line, command.line, output)

    zabbix_runs, superoffice_runs = executions(zabbix, superoffice)
    if command.check or (results and results[-1].get("failed")):
        assert (zabbix_runs, superoffice_runs) == (0, 0), "nothing runs in check mode or when a name does not resolve"
    elif "zabbix_script_execute" in command.line:
        assert zabbix_runs == results[0]["summary"]["total"] and superoffice_runs == 0
    elif "superoffice_crmscript_execute" in command.line:
        assert (zabbix_runs, superoffice_runs) == (0, 1)
    elif command.playbook:
        assert zabbix_runs == 2
