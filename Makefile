# onnxrt: two commands set up everything on a fresh machine.
#   make demo   installs, exports PyTorch models, runs them on onnxrt vs PyTorch and onnxruntime
#   make test   installs, builds, runs every C++ and Python test
# Python dependencies are pinned in requirements.txt only. System packages come from apt.

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
BUILD ?= build
JOBS ?= $(shell nproc)
# Some machines have the torch wheel on disk; pip finds it here when present.
PIP_FLAGS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
APT_PACKAGES := g++ libgtest-dev ccache libre2-dev pkg-config libjpeg62-turbo-dev libpng-dev libtiff-dev libwebp-dev libopenjp2-7-dev
# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the objects
# of earlier builds on this machine, and the Python build reuses those of the C++ build.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: bench-kernels all setup system-deps venv build install test test-cpp test-python demo conformance fuzz clean

all: build

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# The venv is rebuilt only when requirements.txt changes.
$(VENV)/.requirements: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check $(PIP_FLAGS) -r requirements.txt
	@cp requirements.txt $@

venv: $(VENV)/.requirements

setup: system-deps venv

# The C++ library, tests and example (ctest).
build: setup
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake --build $(BUILD) -j $(JOBS)

# The Python package (engine + bindings + CLI) into the venv. scikit-build-core keeps its build
# tree in build/python and ccache serves objects already compiled for the C++ tests.
install: setup
	@PATH=$(abspath $(VENV))/bin:$$PATH $(PIP) install -q --no-build-isolation --disable-pip-version-check .

test-cpp: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-python: install
	$(PY) -m pytest -q tests/python tests/onnx_backend

test: build install
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(PY) -m pytest -q tests/python tests/onnx_backend

demo: install
	$(PY) examples/python/demo.py

clean:
	rm -rf $(BUILD)

# Regenerates docs/conformance.md (and, with UPDATE_MANIFEST=1, the expected-failure manifest).
conformance: install
	$(PY) tests/onnx_backend/report.py $(if $(UPDATE_MANIFEST),--update-manifest,)

# Kernel benchmark (FMA peak, SGEMM, single ops at 1 and 2 threads) into docs/performance.md.
bench-kernels: setup
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DONNXRT_BUILD_BENCHMARKS=ON >/dev/null
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake --build $(BUILD) -j $(JOBS) --target kernel_bench
	$(BUILD)/kernel_bench --doc docs/performance.md

# Long fuzzing runs (libFuzzer + ASan/UBSan, clang from apt): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 600
fuzz: setup
	@dpkg -s clang >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq clang; }
	@PATH=$(abspath $(VENV))/bin:$$PATH CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DONNXRT_FUZZ=ON -DONNXRT_BUILD_TESTS=OFF >/dev/null
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake --build build-fuzz -j $(JOBS) --target fuzz_reader fuzz_session
	@test -d build-fuzz/seeds || $(PY) fuzz/make_corpus.py build-fuzz/seeds
	@mkdir -p build-fuzz/corpus-reader build-fuzz/corpus-session
	build-fuzz/fuzz_reader -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 build-fuzz/corpus-reader build-fuzz/seeds
	build-fuzz/fuzz_session -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10 build-fuzz/corpus-session build-fuzz/seeds
