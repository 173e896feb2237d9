# The two commands of the README are `make demo` and `make test`.
# Everything else here is a step of those two.
SHELL := /bin/bash
VENV ?= .venv
export PATH := $(abspath $(VENV))/bin:$(PATH)
PYTEST_ARGS ?=

.PHONY: venv demo test lint sanity unit playbook clean

$(VENV)/.installed: tests/requirements.txt requirements.txt tests/ci/venv.sh
	tests/ci/venv.sh $(VENV)

venv: $(VENV)/.installed

demo: venv
	python demo/run.py

test: lint sanity unit playbook

lint: venv
	ansible-lint

sanity: venv
	VENV=$(abspath $(VENV)) tests/ci/sanity.sh

unit: venv
	python -m pytest -q tests/unit $(PYTEST_ARGS)

playbook: venv
	python -m pytest -q tests/playbook $(PYTEST_ARGS)

clean:
	rm -rf build tests/output .pytest_cache
