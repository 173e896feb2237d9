# The two commands of the README are `make demo` and `make test`.
# Everything else here is a step of those two.
SHELL := /bin/bash
VENV ?= .venv
export PATH := $(abspath $(VENV))/bin:$(PATH)
PYTEST_ARGS ?=
# The working tree, seen by Ansible as the collection scriptbridge.core.
COLLECTIONS := $(abspath build/collections)
LINK := $(COLLECTIONS)/ansible_collections/scriptbridge/core

.PHONY: venv link demo test lint sanity unit playbook clean
.PHONY: docs changelog-lint ee compat

# The test virtualenv: pip only, no root.
$(VENV)/.installed: tests/requirements.txt demo/requirements.txt requirements.txt tests/ci/venv.sh
	tests/ci/venv.sh $(VENV) tests/requirements.txt

venv: $(VENV)/.installed

# The demo's own virtualenv, with only what the demo uses (ansible-core, the modules' libraries, the simulators'); no root.
DEMO_VENV := .venvs/demo
$(DEMO_VENV)/.installed: demo/requirements.txt requirements.txt tests/ci/venv.sh
	tests/ci/venv.sh $(DEMO_VENV) demo/requirements.txt

# ansible-rulebook in a virtualenv of its own; installs Debian's Java 17 when the machine has none (root or sudo).
RULEBOOK_VENV := .venvs/rulebook
$(RULEBOOK_VENV)/.installed: tests/eda/requirements.txt extensions/eda/requirements.txt requirements.txt \
		tests/ci/rulebook_venv.sh
	tests/ci/rulebook_venv.sh $(RULEBOOK_VENV)

.PHONY: rulebook
rulebook: $(RULEBOOK_VENV)/.installed

link:
	@mkdir -p $(dir $(LINK)) && [ -L $(LINK) ] || ln -sfn $(CURDIR) $(LINK)

demo: $(DEMO_VENV)/.installed link
	PYTHONPATH=$(COLLECTIONS) $(DEMO_VENV)/bin/python demo/run.py

# unit and playbook run on a copy of the repository with nothing beside it (tests/ci/alone.sh).
# The suites run TEST_JOBS at a time (most of a suite is waiting for ansible-playbook, so two cores
# serve two suites), the longest first; each suite's output is printed whole when it ends, with its time.
# Inside a suite, its steps run one after the other, as `make <suite>` alone runs them; every suite runs
# even when one fails.
# CI adds the real Zabbix servers' suites to the same pool: `make test EXTRA_SUITES=real-zabbix` (.ci/run).
TEST_JOBS ?= 2
EXTRA_SUITES ?=
SUITES := alone $(EXTRA_SUITES) compat reliability eda sanity molecule ee docs lint changelog-lint
.PHONY: suites $(addprefix timed-,$(SUITES))
test: venv link rulebook
	$(MAKE) --no-print-directory --keep-going -j$(TEST_JOBS) --output-sync=target suites

suites: $(addprefix timed-,$(SUITES))

$(addprefix timed-,$(SUITES)): timed-%:
	@start=$$(date +%s); env -u MAKEFLAGS -u MFLAGS $(MAKE) --no-print-directory VENV='$(VENV)' PYTEST_ARGS='$(PYTEST_ARGS)' $* && rc=0 || rc=$$?; \
	echo "== make $*: $$([ $$rc = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; exit $$rc

.PHONY: alone
alone: venv
	VENV=$(abspath $(VENV)) tests/ci/alone.sh unit playbook

lint: venv link
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ansible-lint

sanity: venv
	VENV=$(abspath $(VENV)) tests/ci/sanity.sh

# Also under ansible-test units (on a copy of the collection), as collection CI runs them.
unit: venv link
	python -m pytest -q tests/unit $(PYTEST_ARGS)
	VENV=$(abspath $(VENV)) tests/ci/units.sh

playbook: venv link
	python -m pytest -q -n 2 tests/playbook $(PYTEST_ARGS)

# The shipped rulebooks end to end: ansible-rulebook (.venvs/rulebook) with each, against the simulators.
.PHONY: eda
eda: venv link rulebook
	python -m pytest -q tests/eda $(PYTEST_ARGS)

# Faults, secrets, bad input, TLS and load (tests/reliability, docs/reliability.md); under five minutes on two workers.
.PHONY: reliability
reliability: venv link
	python -m pytest -q -n 2 --dist loadgroup tests/reliability $(PYTEST_ARGS)

# The molecule scenarios (extensions/molecule/): one per module and role, each starts and stops its own simulators.
.PHONY: molecule
molecule: venv link
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) molecule test --all

# The documentation site (build/docs/html): doc lint, module and role reference, guides; warnings fail it.
docs: venv link
	PYTHONPATH=$(COLLECTIONS) python -m ansible_collections.scriptbridge.core.tests.docs.build_site

# The execution environment: ansible-builder create, introspection, a job through ansible-runner.
ee: venv
	VENV=$(abspath $(VENV)) tests/ee/check.sh

# The module tests under ansible-core 2.18 to 2.21, one virtualenv each under .venvs/.
compat: venv link
	tests/compat/run.sh

# The fan-out benchmark against the simulator, then the event sources' (docs/benchmarks.md); not part of `make test`.
BENCH_ARGS ?=
EDA_BENCH_ARGS ?=
.PHONY: benchmark benchmark-eda
benchmark: venv link
	rc=0; PYTHONPATH=$(COLLECTIONS) python benchmarks/fanout.py $(BENCH_ARGS) || rc=$$?; \
	PYTHONPATH=$(COLLECTIONS) python benchmarks/eda_sources.py $(EDA_BENCH_ARGS) || rc=$$?; exit $$rc

benchmark-eda: venv link
	PYTHONPATH=$(COLLECTIONS) python benchmarks/eda_sources.py $(EDA_BENCH_ARGS)

# Changelog fragments and changelog.yaml lint clean; CHANGELOG.rst is up to date; the next release notes render.
changelog-lint: venv
	VENV=$(abspath $(VENV)) tests/docs/changelog_check.sh

# The suites against a real Zabbix 6.0 and 7.0 (docs/real-zabbix.md): start both, run them, stop them even when they fail.
# The stack needs root; as another user, sudo is used for zabbix-stack.sh only.
ZBX_SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: real-zabbix
real-zabbix: venv link
	rc=0; $(ZBX_SUDO) tests/real_zabbix/zabbix-stack.sh up && python -m pytest -q tests/real_zabbix $(PYTEST_ARGS) || rc=$$?; \
	$(ZBX_SUDO) tests/real_zabbix/zabbix-stack.sh down; exit $$rc

clean:
	rm -rf build tests/output .pytest_cache
