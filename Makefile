# The same verbs for people and CI. `make book` and `make test` set everything up on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= data_templates/params.example.yml
SYNTH  := _build/synthetic
DEFAULT_PARAMS := data_templates/params.example.yml
# The default report runs on a synthetic LA, so linkage quality can be measured against its ground truth.
TRUTH_FLAG := $(if $(filter $(DEFAULT_PARAMS),$(PARAMS)),--truth $(SYNTH)/truth)

.PHONY: help setup spark book lint test bench sample templates clean

help:  ## list the commands
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	touch $@

setup: $(STAMP)  ## create .venv with the pinned stack and register the kernel

SPARK_STAMP := $(VENV)/.spark-installed
$(SPARK_STAMP): requirements-spark.lock | $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-spark.lock
	touch $@

spark: $(SPARK_STAMP)  ## add PySpark for `linkage.backend: spark` (needs Java 17 or later)

$(SYNTH)/extract/ssd_person.csv: $(wildcard analysis/synth/*.py) analysis/contract/schema.py | $(STAMP)
	rm -rf $(SYNTH)
	$(BIN)/adversity-report synth --children 60000 --years 10 --seed 20261127 --out $(SYNTH)

book: $(STAMP) $(SYNTH)/extract/ssd_person.csv  ## build the report (PARAMS=file to use your own parameters)
	$(BIN)/adversity-report build --params $(PARAMS) $(TRUTH_FLAG)

lint: $(STAMP)  ## ruff (lint and format) and the import contracts of pyproject.toml
	$(BIN)/ruff check analysis tests tools
	$(BIN)/ruff format --check analysis tests tools
	$(BIN)/lint-imports --no-cache

test: $(STAMP) $(SPARK_STAMP) lint  ## run every test: lint, unit, doctests, back tests, nbval on each chapter, end-to-end
	rm -rf _build/nbval
	$(BIN)/python -c "from analysis.report.book import export_notebooks; export_notebooks('_build/nbval')"
	$(BIN)/python -m pytest tests analysis _build/nbval --doctest-modules --nbval-lax

SIZES ?= 10000 60000 500000 2000000
bench: $(STAMP)  ## time and measure every stage at each size (SIZES="10000 60000" for fewer); see _build/bench/
	$(BIN)/python -m tools.bench --sizes $(SIZES) --out _build/bench

sample: $(STAMP)  ## regenerate the committed sample extract in data_templates/
	$(BIN)/python -c "from analysis.synth.write import write_sample; write_sample()"

templates: $(STAMP)  ## regenerate the CSV/XLSX templates and data dictionary in data_templates/ from the schema
	$(BIN)/python -m analysis.contract.templates

clean:  ## remove build output (keeps .venv)
	rm -rf _build
