# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test index browser opensearch clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

index: $(STAMP)
	@test -e index_data/index/current || $(PY) manage.py rebuild

run: index
	$(PY) manage.py serve --host 127.0.0.1 --port 5000

# Debian's chromium + chromium-driver drive the browser tests; installed here when missing.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "Installing Debian chromium and chromium-driver for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# The OpenSearch test node (opensearch/, Maven; Java 17): its jar and target/lib, rebuilt when
# its sources change. Maven Central is the only download; the tests then start nodes from it.
JAVA17 := /usr/lib/jvm/java-17-openjdk-amd64
OPENSEARCH_JAVA_HOME ?= $(if $(wildcard $(JAVA17)/bin/java),$(JAVA17),$(JAVA_HOME))
OPENSEARCH_JAR := opensearch/target/vnsearch-opensearch-node.jar

$(OPENSEARCH_JAR): opensearch/pom.xml $(shell find opensearch/src -type f 2>/dev/null)
	@command -v mvn >/dev/null || { echo "Maven (mvn) not found: it builds the OpenSearch test node (opensearch/)" >&2; exit 1; }
	@echo "Building the OpenSearch test node (opensearch/, Maven)"
	cd opensearch && JAVA_HOME=$(OPENSEARCH_JAVA_HOME) mvn -q -B clean package
	@touch $@

opensearch: $(OPENSEARCH_JAR)

test: $(STAMP) browser opensearch
	$(PY) -m pytest

clean:
	rm -rf $(VENV) index_data/index opensearch/target
