# dermkit: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.dermkit-installed
EXTRAS ?= dev
DEMO_OUT ?= demo-out
# pytest workers: 2 on the 2-core reference machine; override with `make test JOBS=1`.
JOBS   ?= 2

.PHONY: install demo test test-slow test-all bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dermkit demo --out $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n $(JOBS)

test-slow: $(STAMP)
	$(PY) -m pytest -q -m "slow"

test-all: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS)

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
