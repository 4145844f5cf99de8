# ward-faq: `make run` serves on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
EVAL ?= tests/data/eval.jsonl

.PHONY: install migrate build run test bench bench-scale bench-staff eval fit fit-staff word-vectors browser clean

$(BIN)/ward-faq: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/ward-faq

# Bring the database's schema up to date (Alembic migrations): the app starts only on the schema it was made for.
migrate: install
	$(BIN)/ward-faq db upgrade

# Parse the corpus and build the index once, with progress; every start then loads it from its cache.
build: migrate
	$(BIN)/ward-faq index build

run: build
	$(BIN)/ward-faq serve --host $(HOST) --port $(PORT)

# The widget and console tests drive Debian's Chromium; install it when it is missing, with Japanese fonts for the screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

test: install browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run.py

# Synthetic corpora of 10 k and 100 k units over 300 wards: build, load, memory, ask latency, staff save (minutes).
bench-scale: install
	$(BIN)/python bench/scale.py

# The ask's cost as staff FAQ entries grow: 0, 50 and 500 published, the same questions in-process.
bench-staff: install
	$(BIN)/python bench/staff.py

eval: migrate
	$(BIN)/ward-faq eval $(EVAL)

# Refit the reranker and the abstention rule on the question sets; prints the parameters to keep.
fit: install
	$(BIN)/python bench/fit.py

# Refit the staff index's ranking and decision on the staff wording set; prints the parameters to keep.
fit-staff: install
	$(BIN)/python bench/fit_staff.py

# Re-extract index/data/word_vectors.npz (committed) from GiNZA's model wheel, fetched from the package index.
word-vectors: install
	$(BIN)/python bench/word_vectors.py

clean:
	rm -rf $(VENV) instance *.egg-info
