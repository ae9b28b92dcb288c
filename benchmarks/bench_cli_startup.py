#!/usr/bin/env python
"""Start-up time of ``nlpkit --help``, and a check that it imports neither torch nor spaCy.

Commands, run as fresh processes, interleaved round after round:

* ``nlpkit --help``            -- the console script installed next to this Python;
* ``python -m nlpkit --help``;
* ``python -c "import nlpkit"`` -- the import alone;
* ``python -c pass``            -- the interpreter's own start-up, the floor.

Then ``python -X importtime`` runs ``-c "import nlpkit"``, ``-m nlpkit --help`` and the
console script with ``--help`` and ``tokenize --help``, and the import lists are searched
for heavy modules (torch, spacy, and for information numpy, jieba, thinc). The slowest
imports of ``--help`` are printed, to show where the time goes.

    python benchmarks/bench_cli_startup.py --repeat 20 --json benchmarks/out/startup.json
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import _bench

TARGET_S = 0.25
FORBIDDEN = ("torch", "spacy")
WATCHED = (*FORBIDDEN, "numpy", "jieba", "thinc", "tqdm", "pluggy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=20)
    parser.add_argument("--script", help="the nlpkit console script (default: the one next to this Python, else on PATH)")
    parser.add_argument("--top", type=int, default=15, help="how many of the slowest imports to list (default %(default)s)")
    args = parser.parse_args()

    info = _bench.machine_info(["click", "pluggy"])
    _bench.print_machine(info)
    script = args.script or _find_script()
    py = sys.executable
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    commands = {
        "nlpkit --help": [script, "--help"],
        "python -m nlpkit --help": [py, "-m", "nlpkit", "--help"],
        "python -c 'import nlpkit'": [py, "-c", "import nlpkit"],
        "python -c pass": [py, "-c", "pass"],
    }
    print(f"script  : {script}; repeat={args.repeat} (after one untimed warm-up run each, so .pyc files exist)")

    contenders = {name: (lambda cmd=cmd: _run(cmd, env)) for name, cmd in commands.items()}
    results = _bench.interleave(contenders, args.repeat, 1, "runs", verbose=False)
    rows = [("command", "best s", "median s", "worst s", f"target < {TARGET_S} s (best)")]
    verdicts = {}
    for name, r in results.items():
        verdict = ("MET" if r.best < TARGET_S else "MISSED") if "--help" in name else "-"
        verdicts[name] = verdict
        rows.append((name, f"{r.best:.3f}", f"{r.median:.3f}", f"{max(r.wall):.3f}", verdict))
    _bench.print_rows(rows, "wall time of one run (fresh process each)")
    floor = results["python -c pass"]
    print(f"  nlpkit's own share of 'nlpkit --help' (best minus the interpreter floor): "
          f"{results['nlpkit --help'].best - floor.best:.3f} s")

    checks = import_checks(py, script, env)
    imports = {label: c["heavy"] for label, c in checks.items()}
    print("\nheavy modules imported (python -X importtime)")
    for label, c in checks.items():
        found = ", ".join(c["heavy"]) or "none"
        verdict = "OK" if c["ok"] else "FAILED: imports " + ", ".join(c["forbidden"])
        print(f"  {label:<34} watched modules imported: {found}  -> {verdict}")
    slow = checks["nlpkit --help"]["slowest"][: args.top]
    rows = [("module (nlpkit --help)", "cumulative ms", "self ms")]
    rows += [(name, f"{cum / 1000:.1f}", f"{own / 1000:.1f}") for name, own, cum in slow]
    _bench.print_rows(rows, f"slowest {len(slow)} imports of 'nlpkit --help' by cumulative time (indent = nesting depth)")

    ok = all(c["ok"] for c in checks.values())
    _bench.write_json(args.json, {
        "benchmark": "cli_startup", "machine": info, "args": vars(args), "script": script,
        "results": {n: r.summary() for n, r in results.items()}, "target_s": TARGET_S,
        "verdicts": verdicts, "imports": imports, "imports_ok": ok,
        "slowest_imports": [{"module": n.strip(), "depth": (len(n) - len(n.lstrip())) // 2, "self_us": s,
                             "cumulative_us": c} for n, s, c in slow],
    })
    return 0 if ok else 1


def _find_script() -> str:
    beside = Path(sys.executable).parent / "nlpkit"
    if beside.is_file():
        return str(beside)
    found = shutil.which("nlpkit")
    if not found:
        sys.exit("nlpkit console script not found; pass --script PATH")
    return found


def _run(cmd: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if proc.returncode:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")


_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def import_checks(py: str, script: str, env: dict[str, str]) -> dict[str, dict]:
    """Which watched modules each command imports, from ``-X importtime`` (every import, nested too)."""
    commands = {
        "import nlpkit": [py, "-X", "importtime", "-c", "import nlpkit"],
        "nlpkit --help": [py, "-X", "importtime", script, "--help"],
        "python -m nlpkit --help": [py, "-X", "importtime", "-m", "nlpkit", "--help"],
        "nlpkit tokenize --help": [py, "-X", "importtime", script, "tokenize", "--help"],
    }
    out = {}
    for label, cmd in commands.items():
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
        if proc.returncode:
            sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
        modules = []  # (name, self_us, cumulative_us, depth)
        for line in proc.stderr.splitlines():
            m = _LINE.match(line)
            if m:
                modules.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2))
        tops = {name.split(".")[0] for name, *_ in modules}
        heavy = [w for w in WATCHED if w in tops]
        forbidden = [w for w in FORBIDDEN if w in tops]
        slowest = sorted(modules, key=lambda m: -m[2])
        out[label] = {"heavy": heavy, "forbidden": forbidden, "ok": not forbidden, "modules": len(modules),
                      "slowest": [("  " * d + n, s, c) for n, s, c, d in slowest]}
    return out


if __name__ == "__main__":
    sys.exit(main())
