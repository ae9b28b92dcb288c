#!/usr/bin/env bash
# Every claim the project makes about CUDA, checked on one NVIDIA GPU in under 8 minutes,
# ending in one markdown table (ready for docs/benchmarks.md) on stdout: each check, the
# file:line that makes the claim, PASS / FAIL / SKIP (or REPORT for a figure with no pass
# mark), the figure, and seconds. Progress and logs go to stderr and to the --out folder.
#
# Invocation, from the repository root, on a GPU machine whose Python has a CUDA build of torch:
#
#   python -m pip install -e ".[test]" && bash benchmarks/gpu_check.sh --python python
#
# On a machine that reaches no package registry (an image with CUDA torch preinstalled),
# nothing needs installing: the script runs nlpkit from the working tree (a temporary
# entry-point shim on PYTHONPATH; the environment is not modified). Checks whose peer is
# missing there say SKIP (pytorch-crf and gensim; bring them as wheels to run those):
#
#   bash benchmarks/gpu_check.sh --python python3
#
# Smoke test without a GPU (every check on the CPU with tiny sizes, about a minute on 2 quiet cores;
# AMP rows skip, the process-group check uses gloo; the torchrun launch and the checks that read whole
# corpora say SKIP unless --full is given, which adds about a minute):
#
#   bash benchmarks/gpu_check.sh --device cpu
#
# Options (or environment variables):
#   --device cuda|cpu   GPU_CHECK_DEVICE   default cuda
#   --python PY         PYTHON             default .venv/bin/python if it imports torch, else python3
#   --out DIR           GPU_CHECK_OUT      default benchmarks/out/gpu_check (git-ignored): gpu_check.md
#                                          (the table), gpu_check.jsonl (the rows), gpu_check.log (all output)
#   --budget SECONDS    GPU_CHECK_BUDGET   default 450: the whole run's limit; each check also has its own
#   --only a,b,...                         run these checks only (names below)
#   --full              GPU_CHECK_FULL=1   with --device cpu: also the torchrun launch and the corpus checks
#
# Checks (own timeout on CUDA, seconds): env 60, train-rnn / train-gru / train-lstm 75, train-bilstm-crf 90,
# crf 75, viterbi 60, cli 120, ddp 75, word2vec 120, pytest 90, and, when the corpora are found
# ($NLPKIT_CORPORA or ../shared/corpora; else SKIP), recipe-upos 90, recipe-shakespeare 90,
# throughput 90. A check that fails, crashes or times out records FAIL with a one-line reason and
# the script goes on; one whose time would pass the budget is not started (FAIL). Exit status 1 if
# any row failed, else 0.

set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)

DEVICE=${GPU_CHECK_DEVICE:-cuda}
PY=${PYTHON:-}
OUT=${GPU_CHECK_OUT:-benchmarks/out/gpu_check}
BUDGET=${GPU_CHECK_BUDGET:-450}
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --device) DEVICE=$2; shift 2 ;;
        --python) PY=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --budget) BUDGET=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --full) export GPU_CHECK_FULL=1; shift ;;
        -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$DEVICE" in cuda|cpu) ;; *) echo "gpu_check.sh: --device must be cuda or cpu, not '$DEVICE'" >&2; exit 2 ;; esac
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ] && .venv/bin/python -c "import torch" >/dev/null 2>&1; then PY=.venv/bin/python; else PY=python3; fi
fi

# name:timeout; on CUDA one process per check (a broken CUDA context stays in its process),
# on the CPU several per process (the smoke test's time is mostly torch's import).
if [ "$DEVICE" = cuda ]; then
    CHECKS="env:60 train-rnn:75 train-gru:75 train-lstm:75 train-bilstm-crf:90 crf:75 viterbi:60 cli:120 ddp:75
word2vec:120 pytest:90 recipe-upos:90 recipe-shakespeare:90 throughput:90"
else
    CHECKS="env,train-rnn,train-gru,train-lstm,train-bilstm-crf,crf,viterbi,ddp,word2vec:240 cli:120 pytest:90
recipe-upos,recipe-shakespeare,throughput:180"
fi

mkdir -p "$OUT"
RESULTS="$OUT/gpu_check.jsonl"
LOG="$OUT/gpu_check.log"
: >"$RESULTS"
: >"$LOG"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1
START=$(date +%s)

say() { echo "$*" >&2; echo "$*" >>"$LOG"; }

json_str() {  # a JSON string literal of $1 (one line, quotes and backslashes escaped)
    printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

fail_row() {  # check reason seconds
    printf '{"check": %s, "claim": "-", "result": "FAIL", "figure": %s, "seconds": %s}\n' \
        "$(json_str "$1")" "$(json_str "$2")" "$3" >>"$RESULTS"
    say "ROW FAIL   $1: $2"
}

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || true)
if [ -n "$COMMIT" ]; then
    [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && COMMIT="$COMMIT (+ uncommitted changes)"
else
    COMMIT="unknown (no git)"
fi
say "gpu_check: mode $DEVICE, python $PY, commit $COMMIT, budget ${BUDGET}s, out $OUT"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
    >>"$LOG" 2>&1

# nlpkit from an install, or else from the working tree through an entry-point shim.
if ! "$PY" -c "import torch" >>"$LOG" 2>&1; then
    fail_row "setup" "$PY cannot import torch (install a CUDA build of torch, or pass --python)" 0
else
    probe='import importlib.metadata as m, nlpkit, nlpkit_trainer; assert any(e.name == "trainer" for e in m.entry_points(group="nlpkit"))'
    if ! "$PY" -c "$probe" >>"$LOG" 2>&1; then
        "$PY" benchmarks/gpu_check.py shim "$WORK/site" >>"$LOG" 2>&1
        export PYTHONPATH="$WORK/site:$ROOT:$ROOT/plugins:$ROOT/corpora${PYTHONPATH:+:$PYTHONPATH}"
        if "$PY" -c "$probe" >>"$LOG" 2>&1; then
            say "nlpkit is not installed in $PY: running it from the working tree (entry-point shim on PYTHONPATH)"
        else
            fail_row "setup" "nlpkit cannot be imported with its plugins from $PY, installed or from the working tree (see the log)" 0
        fi
    fi
fi

# nlpkit's cache (corpora, jieba) lives under platformdirs' user cache unless NLPKIT_CACHE_DIR says
# otherwise; where platformdirs is missing, a scratch folder.
if [ -z "${NLPKIT_CACHE_DIR:-}" ] && ! "$PY" -c "import platformdirs" >/dev/null 2>&1; then
    export NLPKIT_CACHE_DIR="$WORK/cache"
fi

for item in $CHECKS; do
    name=${item%%:*}
    limit=${item##*:}
    if [ -n "$ONLY" ]; then  # keep the named checks of this group
        kept=""
        for one in ${name//,/ }; do [[ ",$ONLY," == *",$one,"* ]] && kept="$kept,$one"; done
        [ -z "$kept" ] && continue
        name=${kept#,}
    fi
    now=$(date +%s)
    left=$(( START + BUDGET - now ))
    if [ "$left" -lt 20 ]; then
        fail_row "$name" "not started: the run's budget of ${BUDGET}s was spent" 0
        continue
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    if [ "$DEVICE" = cuda ] && [ "$name" != env ] && grep -q '"cuda_available": false' "$RESULTS"; then
        fail_row "$name" "not started: torch sees no CUDA GPU (see the env rows)" 0
        continue
    fi
    before=$(wc -l <"$RESULTS")
    say "--- $name (limit ${limit}s, $(( now - START ))s elapsed)"
    out="$WORK/${name//,/-}.out"
    t0=$(date +%s)
    timeout -k 10 "$limit" "$PY" benchmarks/gpu_check.py "$name" --device "$DEVICE" --results "$RESULTS" \
        --work "$WORK" >"$out" 2>&1
    rc=$?
    took=$(( $(date +%s) - t0 ))
    cat "$out" >>"$LOG"
    grep '^ROW ' "$out" | sed 's/^ROW //' >&2
    after=$(wc -l <"$RESULTS")
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail_row "$name" "timed out after ${limit}s ($(( after - before )) row(s) finished before)" "$took"
    elif [ "$rc" -ne 0 ]; then
        fail_row "$name" "exit $rc: $(grep -v '^ROW \|^META ' "$out" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-250)" "$took"
    elif [ "$after" -eq "$before" ]; then
        fail_row "$name" "finished without recording a row (see the log)" "$took"
    fi
done

total=$(( $(date +%s) - START ))
header1="## GPU check: \`benchmarks/gpu_check.sh --device $DEVICE\`"
header2="commit $COMMIT, $(date -u '+%Y-%m-%d %H:%M UTC'), $(( total / 60 )) min $(( total % 60 )) s in all"
table="$OUT/gpu_check.md"
if ! "$PY" benchmarks/gpu_check.py report "$RESULTS" --header "$header1" --header "" --header "$header2" >"$table" 2>>"$LOG"; then
    { echo "$header1"; echo; echo "$header2 (the table could not be rendered; raw rows:)"; cat "$RESULTS"; } >"$table"
fi
echo >&2
cat "$table"
if grep -q '"result": "FAIL"' "$RESULTS"; then exit 1; fi
exit 0
