#!/bin/sh
# Run every benchmark with its defaults, one after the other (never in parallel: they
# would disturb each other), saving JSON results to benchmarks/out/ (git-ignored).
# Usage: benchmarks/run_all.sh [PYTHON]      e.g. benchmarks/run_all.sh .venv/bin/python
set -e
PY=${1:-python}
cd "$(dirname "$0")/.."
mkdir -p benchmarks/out
"$PY" benchmarks/bench_cli_startup.py --json benchmarks/out/cli_startup.json
"$PY" benchmarks/bench_jieba.py --json benchmarks/out/jieba.json
"$PY" benchmarks/bench_spacy.py --json benchmarks/out/spacy.json
"$PY" benchmarks/bench_jobs.py --json benchmarks/out/jobs.json
"$PY" benchmarks/bench_pipeline_overhead.py --json benchmarks/out/pipeline_overhead.json
"$PY" benchmarks/bench_onnx.py --json benchmarks/out/onnx.json
