#!/usr/bin/env python
"""``nlpkit tokenize --jobs N`` vs ``--jobs 1``: the real CLI as a subprocess, interleaved.

Builds an input file of ``--size-mb`` MB (default 50) by repeating the review texts of
chnsenticorp/train.tsv (or the lines of tinyshakespeare/input.txt for a non-Chinese
tokenizer) into benchmarks/out/ (git-ignored), then runs, round after round,

    python -m nlpkit tokenize --input FILE -o OUT --tokenizer jieba --jobs 1 --no-progress
    python -m nlpkit tokenize --input FILE -o OUT --tokenizer jieba --jobs 2 --no-progress

and checks that every output is byte-identical (sha256). Reports wall time, MB/s of
input, the speed-up, and memory: the CLI process's peak RSS (from ``wait4``, exact), and
the peak RSS summed over the CLI and its worker processes (sampled from /proc every
0.2 s). With ``--rss-compare-mb`` (default 5) each command also runs once on a small
file, so the peaks at two input sizes show that streaming keeps memory flat.

    python benchmarks/bench_jobs.py --repeat 3 --json benchmarks/out/jobs.json
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _bench

TARGET = 1.7  # speed-up of --jobs 2 over --jobs 1 on a 2-core machine
MB = 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("--tokenizer", default="jieba", help="tokenizer name (default: %(default)s)")
    parser.add_argument("-O", "--option", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="tokenizer option passed on to the CLI; repeatable")
    parser.add_argument("--size-mb", type=float, default=50, help="input size in MB (10^6 bytes; default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel contender's --jobs (default %(default)s)")
    parser.add_argument("--baseline-jobs", type=int, default=1, help="baseline's --jobs (default %(default)s)")
    parser.add_argument("--batch-size", type=int, help="pass --batch-size to the CLI (default: the CLI's own)")
    parser.add_argument("--format", default="text", help="output format passed to the CLI (default: %(default)s)")
    parser.add_argument("--source", help="corpus file the input is built from, relative to the corpora folder "
                                         "(default: chnsenticorp/train.tsv for jieba, tinyshakespeare/input.txt otherwise)")
    parser.add_argument("--rss-compare-mb", type=float, default=5,
                        help="also run each command once on a file this size to compare peak RSS (0: skip)")
    parser.add_argument("--out-dir", type=Path, default=_bench.OUT_DIR,
                        help="where inputs and outputs go (default: benchmarks/out)")
    parser.add_argument("--keep-outputs", action="store_true", help="keep the tokenized outputs (large)")
    args = parser.parse_args()

    info = _bench.machine_info(["jieba", "spacy"])
    _bench.print_machine(info)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    source = args.source or ("chnsenticorp/train.tsv" if args.tokenizer in ("jieba", "zh") else "tinyshakespeare/input.txt")
    source_path = _bench.corpus_file(source)
    texts = _bench.read_tsv_texts(source_path) if source_path.suffix == ".tsv" else _bench.read_lines(source_path)
    big = build_input(texts, source_path, args.size_mb, args.out_dir)
    size = big.stat().st_size
    print(f"input   : {big} ({size / MB:.1f} MB, built from {source_path}); tokenizer={args.tokenizer} "
          f"options={args.options} format={args.format} repeat={args.repeat}")

    names = {f"--jobs {j}": j for j in (args.baseline_jobs, args.jobs)}
    results = {n: _bench.Result(n, size / MB, "MB") for n in names}
    digests: dict[str, str] = {}
    rss: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(args.repeat):
        order = list(names)[r % 2:] + list(names)[: r % 2]
        for n in order:
            out = args.out_dir / f"tokens-jobs{names[n]}.out"
            run = run_cli(cli_command(args, big, out, names[n]))
            results[n].wall.append(run["wall_s"])
            results[n].cpu.append(run["cpu_s"])
            rss[n].append(run)
            digests[f"{n} round {r + 1}"] = sha256(out)
            if not args.keep_outputs:
                out.unlink()
        print("  round " + f"{r + 1}/{args.repeat}: " + "  ".join(f"{n} {results[n].wall[-1]:.2f}s" for n in names),
              file=sys.stderr, flush=True)
    identical = len(set(digests.values())) == 1
    print(f"check   : outputs {'byte-identical' if identical else 'DIFFER'} across {len(digests)} runs "
          f"(sha256 {next(iter(digests.values()))[:16]}...)")

    small_rss = {}
    if args.rss_compare_mb:
        small = build_input(texts, source_path, args.rss_compare_mb, args.out_dir)
        for n, j in names.items():
            out = args.out_dir / f"tokens-small-jobs{j}.out"
            small_rss[n] = run_cli(cli_command(args, small, out, j))
            out.unlink()

    print_results(results, rss, small_rss, size, args)
    base, par = list(names)
    ratio = _bench.ratios(results, par, base)
    print(f"\nspeed-up ({par} over {base})")
    verdict = _bench.print_ratio("speed-up", ratio, TARGET)

    _bench.write_json(args.json, {
        "benchmark": "jobs", "machine": info, "args": {k: str(v) for k, v in vars(args).items()},
        "input": str(big), "input_bytes": size, "identical": identical, "digests": digests,
        "results": {n: {**r.summary(), "runs": rss[n]} for n, r in results.items()},
        "small_input_runs": small_rss, "speedup": ratio, "target": TARGET, "verdict": verdict,
    })
    return 0 if identical else 1


def build_input(texts: list[str], source: Path, size_mb: float, out_dir: Path) -> Path:
    """Repeat ``texts`` (one per line) until the file holds at least ``size_mb`` MB; reused if present."""
    target = int(size_mb * MB)
    path = out_dir / f"{source.parent.name}-{source.stem}-{size_mb:g}MB.txt"
    longest = max(len(t.encode("utf-8")) for t in texts) + 1
    if path.is_file() and target <= path.stat().st_size <= target + longest:
        return path
    block = ("\n".join(texts) + "\n").encode("utf-8")
    tmp = path.with_suffix(".tmp")
    written = 0
    with open(tmp, "wb") as f:
        while written + len(block) <= target:
            f.write(block)
            written += len(block)
        for text in texts:  # finish line by line, so the file ends on a whole line
            if written >= target:
                break
            line = (text + "\n").encode("utf-8")
            f.write(line)
            written += len(line)
    os.replace(tmp, path)
    return path


def cli_command(args: argparse.Namespace, inp: Path, out: Path, jobs: int) -> list[str]:
    cmd = [sys.executable, "-m", "nlpkit", "tokenize", "--input", str(inp), "-o", str(out),
           "--tokenizer", args.tokenizer, "--jobs", str(jobs), "--format", args.format, "--no-progress"]
    for option in args.options:
        cmd += ["-O", option]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    return cmd


def run_cli(cmd: list[str]) -> dict:
    """Run ``cmd``; wall and CPU time, exact peak RSS of the process, sampled peak RSS of its tree."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err.read().decode('utf-8', 'replace')}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "tree_peak_rss_mb": sampler.tree_peak_kb / 1024, "max_processes": sampler.max_procs}


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants from /proc."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.tree_peak_kb = 0
        self.max_procs = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            pids = self._tree()
            total = sum(_rss_kb(p) for p in pids)
            self.tree_peak_kb = max(self.tree_peak_kb, total)
            self.max_procs = max(self.max_procs, len(pids))

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def print_results(results, rss, small_rss, size: int, args) -> None:  # type: ignore[no-untyped-def]
    _bench.print_table(results, f"nlpkit tokenize --tokenizer {args.tokenizer}, {size / MB:.1f} MB input "
                                f"(rates in MB/s of input; cpu = the CLI process only, not its workers)")
    rows = [("contender", "input MB", "CLI peak RSS MB", "tree peak RSS MB (sampled)", "processes")]
    for n in results:
        runs = rss[n]
        rows.append((n, f"{size / MB:.1f}", f"{max(x['peak_rss_mb'] for x in runs):.0f}",
                     f"{max(x['tree_peak_rss_mb'] for x in runs):.0f}", str(max(x["max_processes"] for x in runs))))
    for n, x in small_rss.items():
        rows.append((n, f"{args.rss_compare_mb:g}", f"{x['peak_rss_mb']:.0f}", f"{x['tree_peak_rss_mb']:.0f}",
                     str(x["max_processes"])))
    _bench.print_rows(rows, "memory (peak resident set size; flat across input sizes = streaming)")


if __name__ == "__main__":
    sys.exit(main())
