# rota developer entry points. Each target sets up the virtualenv itself.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench-scenarios bench-nrp clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## plan the Shanghai station example into out/
	$(BIN)/rota plan configs/shanghai-station.yaml --out out/shanghai-station --time-limit 30

test: $(STAMP)  ## lint and run the whole test suite (needs Redis at 127.0.0.1:6379)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2

bench-scenarios: $(STAMP)
	$(BIN)/rota bench scenarios

bench-nrp: $(STAMP)
	$(BIN)/rota bench nrp ../shared/benchmarks/nrp/instances/Instance*.txt --time-limit 60 --workers 2 --seed 1 --out bench-out/nrp

clean:
	rm -rf $(VENV) out bench-out
