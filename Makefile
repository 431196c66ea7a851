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

.PHONY: bench-kernels all setup system-deps venv build install test test-cpp test-python demo conformance fuzz fuzz-build \
	fuzz-smoke test-sanitize clean

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

# FUZZ_SMOKE=1 adds a short fuzzing run (fuzz-smoke); see docs/reliability.md for its cost.
test: build install
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(PY) -m pytest -q tests/python tests/onnx_backend
	$(if $(FUZZ_SMOKE),@$(MAKE) --no-print-directory fuzz-smoke,)

demo: install
	$(PY) examples/python/demo.py

clean:
	rm -rf $(BUILD)

# Regenerates docs/conformance.md (and, with UPDATE_MANIFEST=1, the expected-failure manifest).
conformance: install
	$(PY) tests/onnx_backend/report.py $(if $(UPDATE_MANIFEST),--update-manifest,)

# --- Fuzzing (libFuzzer + ASan/UBSan, clang from apt; docs/reliability.md) -------------------------
# Three targets: fuzz_reader (wire format), fuzz_session (load + run on zeros), fuzz_run (load +
# run on small random inputs). Seeds: the backend suite's and the tests' models. The corpus each
# run grows is kept in $(FUZZ_BUILD)/corpus-<target>; a crash, leak or timeout leaves its input in
# $(FUZZ_BUILD)/artifacts/ and fails the target. Found inputs go to tests/data/fuzz_regressions/.
FUZZ_BUILD ?= build-fuzz
FUZZ_TARGETS := reader session run
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_FLAGS := -rss_limit_mb=2048 -timeout=10 -print_final_stats=1

fuzz-build: setup
	@dpkg -s clang >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq clang; }
	@PATH=$(abspath $(VENV))/bin:$$PATH CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DONNXRT_FUZZ=ON -DONNXRT_BUILD_TESTS=OFF >/dev/null
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake --build $(FUZZ_BUILD) -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_TARGETS))
	@test -d $(FUZZ_BUILD)/seeds || $(PY) fuzz/make_corpus.py $(FUZZ_BUILD)/seeds
	@test -d $(FUZZ_BUILD)/seeds-run || $(PY) fuzz/make_corpus.py $(FUZZ_BUILD)/seeds-run --trailer
	@mkdir -p $(FUZZ_BUILD)/artifacts $(addprefix $(FUZZ_BUILD)/corpus-,$(FUZZ_TARGETS))

# Runs each target for $(1) seconds. fuzz_run reads a trailer after the model bytes, so it gets
# seeds of its own. libFuzzer first runs every input it is given (the seeds alone take ~20-50 s
# per target), so with $(2) set the seeds are left out once a corpus has grown from them. The log
# goes to $(FUZZ_BUILD)/fuzz_<target>.log; on a finding its end is shown.
define run_fuzzers
	@set -e; for t in $(FUZZ_TARGETS); do \
	  seeds=$(FUZZ_BUILD)/seeds; [ $$t != run ] || seeds=$(FUZZ_BUILD)/seeds-run; \
	  [ -z "$(2)" ] || [ -z "$$(ls -A $(FUZZ_BUILD)/corpus-$$t)" ] || seeds=; \
	  log=$(FUZZ_BUILD)/fuzz_$$t.log; echo "== fuzz_$$t for $(1) s (log: $$log)"; \
	  if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(1) $(FUZZ_FLAGS) -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	       $(FUZZ_BUILD)/corpus-$$t $$seeds tests/data/fuzz_regressions/$$t >$$log 2>&1; then \
	    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)" $$log; \
	  else tail -n 80 $$log; echo "fuzz_$$t found a problem: input saved under $(FUZZ_BUILD)/artifacts/"; exit 1; fi; \
	done
endef

# Long runs: FUZZ_SECONDS per target.
fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

# A short run of each target, on the corpus earlier runs grew (the seeds when there is none).
fuzz-smoke: fuzz-build
	$(call run_fuzzers,$(FUZZ_SMOKE_SECONDS),corpus-only)

# --- Sanitizers: the C++ and Python tests under AddressSanitizer + UndefinedBehaviorSanitizer -------
# One build (gcc) holds the library, the C++ tests and the Python module. The C++ tests run with
# LeakSanitizer on; Python is not instrumented, so the ASan runtime is preloaded and leak checking
# is off for it (CPython's own allocations would be reported). libstdc++ is preloaded too: CPython
# does not link it, and ASan must find __cxa_throw when it starts or it aborts on the first C++
# exception. --capture=sys lets a sanitizer report (written to fd 2) reach the terminal. The
# package test (label package) builds an uninstrumented example against the installed library,
# which cannot link an ASan build, so it is left out.
SANITIZE_BUILD ?= build-asan
SANITIZE_PYTESTS ?= tests/python tests/onnx_backend
SANITIZE_ENV := UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
test-sanitize: setup
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DONNXRT_SANITIZE=ON -DONNXRT_BUILD_PYTHON=ON >/dev/null
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && $(SANITIZE_ENV) ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE package
	@mkdir -p $(SANITIZE_BUILD)/pkg/onnxrt && cd $(SANITIZE_BUILD)/pkg/onnxrt && \
	  ln -sf $(CURDIR)/python/onnxrt/* . && ln -sf ../../_onnxrt*.so .
	$(SANITIZE_ENV) ASAN_OPTIONS=detect_leaks=0 \
	  LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libstdc++.so)" \
	  PYTHONPATH=$(SANITIZE_BUILD)/pkg $(PY) -m pytest -q --capture=sys $(SANITIZE_PYTESTS)

# Kernel benchmark (FMA peak, SGEMM, single ops at 1 and 2 threads) into docs/performance.md.
bench-kernels: setup
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DONNXRT_BUILD_BENCHMARKS=ON >/dev/null
	@PATH=$(abspath $(VENV))/bin:$$PATH cmake --build $(BUILD) -j $(JOBS) --target kernel_bench
	$(BUILD)/kernel_bench --doc docs/performance.md
