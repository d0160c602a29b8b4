# Two entry points, each bootstrapping its own virtualenv in .venv:
#   make demo   - the local stack and a scripted Stripe -> QuickBooks scenario
#   make test   - lint, types, template checks and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt layers/crm_finance/requirements.txt pyproject.toml | sha1sum | cut -c1-12)

.PHONY: venv demo serve test lint typecheck template-check unit integration monitoring bench clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/crm-finance demo

serve: venv
	$(BIN)/crm-finance serve

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# checkov runs from its own venv: its pins clash with aws-sam-cli's.
CHECKOV_VENV := .checkov-venv
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==3.3.30"

template-check: venv $(CHECKOV_VENV)/bin/checkov
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(BIN)/sam validate --lint --template template.yaml
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 PATH="$(CURDIR)/$(BIN):$$PATH" \
		$(BIN)/sam build --template template.yaml --build-dir .aws-sam/build
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

test: lint typecheck template-check
	$(BIN)/python -m pytest

unit: venv
	$(BIN)/python -m pytest tests/unit

integration: venv
	$(BIN)/python -m pytest tests/integration

# A Lambda-like interpreter for the cold-start children: the layer's requirements, boto3
# (the Lambda runtime's) and pyyaml (the devstack's template reader); no awscrt, pyOpenSSL,
# moto or pgserver, which the dev venv has. crm_finance comes from PYTHONPATH, not an install.
BENCH_PYTHON ?= $(PYTHON)
BENCH_VENV := .bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat layers/crm_finance/requirements.txt | sha1sum | cut -c1-12)

$(BENCH_STAMP):
	rm -rf $(BENCH_VENV)
	$(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r layers/crm_finance/requirements.txt boto3 pyyaml
	touch $(BENCH_STAMP)

bench: venv $(BENCH_STAMP)
	$(BIN)/python -m bench --python $(BENCH_VENV)/bin/python

clean:
	rm -rf $(VENV) .bench-venv .checkov-venv .local .aws-sam .pytest_cache .mypy_cache .ruff_cache
