"""Shared helpers for the benchmark scripts: corpora, machine facts, interleaved timing,
tables and JSON. Standard library only, so the scripts run in any nlpkit environment.

The rules every script follows:

* contenders run in the same process, interleaved round by round (the order rotates
  each round: A B, B A, A B, ...), so background noise and thermal drift hit all alike;
* every contender gets an untimed warm-up first (dictionaries loaded, caches filled);
* each measurement is repeated; we report the best (least disturbed) and the median;
* ratios are given from the best times, from the medians, and as the median of the
  per-round ratios (the paired figure, least sensitive to drift between rounds).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "benchmarks" / "out"  # git-ignored


# --------------------------------------------------------------------------- corpora


def corpora_dir() -> Path:
    """``$NLPKIT_CORPORA``, else ``../shared/corpora`` next to the repository root."""
    env = os.environ.get("NLPKIT_CORPORA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "corpora"
    if not path.is_dir():
        sys.exit(f"corpora folder not found: {path} (set NLPKIT_CORPORA to the folder that holds the corpora)")
    return path


def corpus_file(relative: str) -> Path:
    path = corpora_dir() / relative
    if not path.is_file():
        sys.exit(f"corpus file not found: {path}")
    return path


def read_tsv_texts(path: Path) -> list[str]:
    """The text column of a ``label<TAB>text`` file (no header)."""
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\r\n").split("\t", 1)[1] for line in f if "\t" in line]


def read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\r\n") for line in f]


# --------------------------------------------------------------------------- machine


def machine_info(packages: Sequence[str] = ()) -> dict[str, Any]:
    """CPU, cores, load, Python and library versions, and the repository commit."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "executable": sys.executable,
        "versions": {name: _version(name) for name in ("nlpkit", *packages)},
        "git": _git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    return info


def print_machine(info: dict[str, Any]) -> None:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"machine : {info['cpu']}, {info['cores']} cores ({info['cores_usable']} usable), "
          f"load {info['load_avg_1_5_15']}")
    print(f"python  : {info['python']} ({info['executable']})")
    print(f"versions: {versions}")
    print(f"repo    : {info['git']}   date: {info['date']}")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, check=False,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, check=False,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{head}{' (+ uncommitted changes)' if dirty else ''}" if head else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --------------------------------------------------------------------------- timing


@dataclass
class Result:
    """Repeated timings of one contender; ``work`` is what one run processes (chars, bytes)."""

    name: str
    work: float = 0.0
    unit: str = "chars"
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def rate(self, seconds: float) -> float:
        return self.work / seconds if seconds > 0 else float("nan")

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(best_s=self.best, median_s=self.median,
                    best_rate=self.rate(self.best), median_rate=self.rate(self.median),
                    rate_unit=f"{self.unit}/s")
        if self.cpu:
            data.update(best_cpu_s=min(self.cpu), median_cpu_s=statistics.median(self.cpu))
        return data


def time_call(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call (garbage collected before, GC left on during)."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    value = fn()
    t1, c1 = time.perf_counter(), time.process_time()
    return t1 - t0, c1 - c0, value


def interleave(contenders: dict[str, Callable[[], Any]], repeat: int, work: float, unit: str,
               warmup: bool = True, verbose: bool = True) -> dict[str, Result]:
    """Run each contender ``repeat`` times, interleaved, rotating the order each round."""
    names = list(contenders)
    results = {n: Result(n, work, unit) for n in names}
    if warmup:
        for n in names:
            contenders[n]()
    for r in range(repeat):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            wall, cpu, _ = time_call(contenders[n])
            results[n].wall.append(wall)
            results[n].cpu.append(cpu)
        if verbose:
            line = "  ".join(f"{n} {results[n].wall[-1]:.3f}s" for n in names)
            print(f"  round {r + 1}/{repeat}: {line}", file=sys.stderr, flush=True)
    return results


def ratios(results: dict[str, Result], num: str, den: str) -> dict[str, float]:
    """Throughput ratio ``num/den`` (> 1: ``num`` is faster): best, median, paired median."""
    a, b = results[num], results[den]
    paired = [tb / ta for ta, tb in zip(a.wall, b.wall)]
    return {"best": b.best / a.best, "median": b.median / a.median, "paired_median": statistics.median(paired)}


# --------------------------------------------------------------------------- output


def fmt_rate(value: float, unit: str) -> str:
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.2f} {prefix}{unit}/s"
    return f"{value:.3g} {unit}/s"


def print_table(results: dict[str, Result], title: str = "") -> None:
    rows = [("contender", "best s", "median s", "best rate", "median rate", "best cpu s")]
    for r in results.values():
        rows.append((r.name, f"{r.best:.3f}", f"{r.median:.3f}", fmt_rate(r.rate(r.best), r.unit),
                     fmt_rate(r.rate(r.median), r.unit), f"{min(r.cpu):.3f}" if r.cpu else "-"))
    print_rows(rows, title)


def print_rows(rows: list[Sequence[str]], title: str = "") -> None:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    if title:
        print(f"\n{title}")
    for i, row in enumerate(rows):
        print("  " + "  ".join(str(c).rjust(w) if j else str(c).ljust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def print_ratio(label: str, ratio: dict[str, float], target: float | None = None, below_is_bad: bool = True) -> str:
    verdict = ""
    if target is not None:
        met = ratio["best"] >= target if below_is_bad else ratio["best"] <= target
        verdict = f"  target >= {target}: {'MET' if met else 'MISSED'}"
    print(f"  {label}: best {ratio['best']:.3f}, median {ratio['median']:.3f}, "
          f"paired median {ratio['paired_median']:.3f}{verdict}")
    return verdict.strip()


def add_common_args(parser: argparse.ArgumentParser, repeat: int = 5) -> None:
    parser.add_argument("--repeat", type=int, default=repeat, help=f"timed runs per contender (default {repeat})")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")


def write_json(path: str | None, payload: dict[str, Any]) -> None:
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
    print(f"\nresults written to {path}")
