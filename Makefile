# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PY := .venv/bin/python
RASA := .venv/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

.PHONY: help setup assets train web browser run test test-unit lint validate test-stories nlu-report bench run-scaled lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed -E 's/:.*## /\t/'

setup:  ## Python 3.10 venv with the pinned packages (only when requirements.txt changed)
	@bash scripts/setup_venv.sh

assets: setup  ## generated files: FAQ responses from reissue/knowledge, jieba dictionary from reissue/lexicon
	@$(PY) -m bot.build.render_responses
	@$(PY) -m bot.build.jieba_dict >/dev/null

train: assets  ## train the model when data, config or dictionaries changed
	@$(PY) scripts/train_if_needed.py

web:  ## build the chat page and widget (npm + Vite) when its sources changed
	@bash scripts/build_web.sh

browser:  ## Debian's Chromium for the browser tests
	@bash scripts/ensure_chromium.sh

run: train web  ## start the whole assistant on embedded defaults (Ctrl-C stops everything)
	@$(PY) scripts/run.py

test: lint train web browser  ## everything CI runs: lint, pytest (unit + end-to-end), data validation, test stories, NLU thresholds
	@$(PY) -m pytest -q -p no:cacheprovider --durations=20
	@$(RASA) data validate --fail-on-warnings --quiet
	@$(PY) scripts/test_stories.py

lint: setup  ## ruff over the code base, mypy over the domain package reissue/ and clients/ (settings in pyproject.toml)
	@.venv/bin/ruff check .
	@.venv/bin/mypy

test-unit: assets  ## the fast tests only (no servers)
	@$(PY) -m pytest -q -m "not e2e and not model"

nlu-report: train  ## held-out, real-world (with the risk–coverage curve) and cross-validation reports into docs/nlu/
	@$(PY) scripts/realworld_report.py
	@$(PY) scripts/nlu_report.py

lock:  ## re-resolve requirements.in into the pinned requirements.txt
	@bash scripts/lock.sh

clean:  ## remove generated artefacts (keeps the venv)
	rm -rf models build .rasa results var test-artifacts web/dist

run-scaled: train web  ## the scale-out on this machine's PostgreSQL + Redis: 2 Rasa and 2 action-server workers (config/scaled/)
	@while IFS='=' read -r key value; do [[ "$$key" =~ ^[A-Z_]+$$ ]] && [ -z "$${!key}" ] && export "$$key=$$value"; done < config/scaled/scaled.env; \
	$(PY) scripts/run.py

bench: train  ## benchmark the assistant against stock `rasa init` on loopback; writes docs/benchmarks.md
	@$(PY) scripts/bench.py
