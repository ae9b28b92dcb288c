#!/usr/bin/env python
"""CRF maths: nlpkit.crf against pytorch-crf (torchcrf.CRF), NLL and Viterbi decoding.

Two settings (batch x length x tags): 32 x 40 x 9 (CoNLL-2003 NER sized) and
64 x 100 x 20, with random emissions and random lengths (seeded; one row full length),
on one device. The CRF parameters are shared: nlpkit's functions take the CRF module's
own ``transitions``, ``start_transitions`` and ``end_transitions``. Timed, per call:

* NLL forward + backward: ``crf_nll(..., reduction="sum").backward()`` against
  ``(-crf(emissions, tags, mask, reduction="sum")).backward()``;
* Viterbi decode to Python lists: ``viterbi(...)`` then ``.tolist()`` cut to each length,
  against ``crf.decode(emissions, mask)``, both under ``torch.no_grad()``.

Before timing, the NLLs must agree within 1e-4 (relative) and the decoded paths must be
identical; the script exits non-zero if not. Targets: decode >= 2x, NLL >= 1.2x.

    python benchmarks/bench_crf.py --repeat 5 --calls 20
    python benchmarks/bench_crf.py --device cuda --json benchmarks/out/crf.json
"""

from __future__ import annotations

import argparse
import sys

import _bench

SETTINGS = ((32, 40, 9), (64, 100, 20))
TARGETS = {"nll fwd+bwd": 1.2, "decode": 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=5)
    parser.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cpu, cuda, ...")
    parser.add_argument("--calls", type=int, default=20, help="calls per timed run (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args()

    import torch

    from nlpkit.device import describe, resolve_device

    try:
        from torchcrf import CRF
    except ImportError:
        sys.exit("pytorch-crf is not installed: pip install pytorch-crf")
    if args.threads:
        torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch", "pytorch-crf"])
    _bench.print_machine(info)
    device = resolve_device(args.device)
    info["device"] = describe(device)
    print(f"device  : {describe(device)}, {torch.get_num_threads()} torch threads; {args.calls} calls per run, "
          f"{args.repeat} runs")

    rows = [("setting", "op", "nlpkit best ms", "median ms", "pytorch-crf best ms", "median ms",
             "speed-up best", "median", "paired", "target")]
    report = {}
    for batch, steps, k in SETTINGS:
        setting = f"{batch}x{steps}x{k}"
        inputs = _inputs(batch, steps, k, args.seed, device, CRF)
        _check_same(*inputs, setting)
        for op, make in (("nll fwd+bwd", _nll_contenders), ("decode", _decode_contenders)):
            print(f"{setting} {op}", file=sys.stderr)
            results = _bench.interleave(make(*inputs, args.calls, device), args.repeat, args.calls, "calls")
            ours, peer = results["nlpkit"], results["pytorch-crf"]
            ratio = _bench.ratios(results, "nlpkit", "pytorch-crf")
            met = "MET" if ratio["best"] >= TARGETS[op] else "MISSED"
            rows.append((setting, op, _ms(ours.best, args.calls), _ms(ours.median, args.calls),
                         _ms(peer.best, args.calls), _ms(peer.median, args.calls), f"{ratio['best']:.2f}x",
                         f"{ratio['median']:.2f}x", f"{ratio['paired_median']:.2f}x", f">= {TARGETS[op]}x {met}"))
            report[f"{setting} {op}"] = {"ratios": ratio, "target": TARGETS[op],
                                         **{name: r.summary() for name, r in results.items()}}
    _bench.print_rows(rows, "per call; speed-up = pytorch-crf time / nlpkit time (> 1: nlpkit is faster)")
    _bench.write_json(args.json, {"benchmark": "crf", "machine": info, "args": vars(args), "results": report})
    return 0


def _ms(seconds: float, calls: int) -> str:
    return f"{1000 * seconds / calls:.3f}"


def _inputs(batch, steps, k, seed, device, crf_class):  # type: ignore[no-untyped-def]
    """Emissions (requiring grad), tags, mask, lengths and a CRF with random parameters."""
    import torch

    from nlpkit.crf import mask_from_lengths

    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, steps, k, generator=g).to(device).requires_grad_()  # shape: [B, T, K]
    tags = torch.randint(k, (batch, steps), generator=g).to(device)  # shape: [B, T]
    lengths = torch.randint(1, steps + 1, (batch,), generator=g)  # shape: [B]
    lengths[0] = steps
    torch.manual_seed(seed)
    crf = crf_class(k, batch_first=True).to(device)
    return emissions, tags, mask_from_lengths(lengths).to(device), crf


def _params(crf):  # type: ignore[no-untyped-def]
    return crf.transitions, crf.start_transitions, crf.end_transitions


def _check_same(emissions, tags, mask, crf, setting: str) -> None:  # type: ignore[no-untyped-def]
    """Exit loudly unless both libraries give the same NLL and the same paths."""
    import torch

    from nlpkit.crf import crf_nll, viterbi

    with torch.no_grad():
        ours = crf_nll(emissions, tags, mask, *_params(crf), reduction="sum").item()
        theirs = -crf(emissions, tags, mask, reduction="sum").item()
        paths = _decode_lists(viterbi(emissions, mask, *_params(crf))[0], mask)
        decoded = crf.decode(emissions, mask)
    if abs(ours - theirs) > 1e-4 * abs(theirs):
        sys.exit(f"{setting}: NLL differs: nlpkit {ours!r}, pytorch-crf {theirs!r}")
    if paths != decoded:
        wrong = [i for i, (a, b) in enumerate(zip(paths, decoded)) if a != b]
        sys.exit(f"{setting}: decoded paths differ in sequence(s) {wrong[:10]}")
    print(f"check   : {setting}: same NLL ({ours:.4f}) and same decoded paths", file=sys.stderr)


def _decode_lists(paths, mask) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """``[B, T]`` padded paths as lists cut to each length, like ``CRF.decode``."""
    return [row[:n] for row, n in zip(paths.tolist(), mask.sum(dim=1).tolist())]


def _nll_contenders(emissions, tags, mask, crf, calls: int, device):  # type: ignore[no-untyped-def]
    from nlpkit.crf import crf_nll

    leaves = [emissions, *crf.parameters()]

    def nlpkit() -> None:
        for _ in range(calls):
            _clear(leaves)
            crf_nll(emissions, tags, mask, *_params(crf), reduction="sum").backward()
        _sync(device)

    def pytorch_crf() -> None:
        for _ in range(calls):
            _clear(leaves)
            (-crf(emissions, tags, mask, reduction="sum")).backward()
        _sync(device)

    return {"nlpkit": nlpkit, "pytorch-crf": pytorch_crf}


def _decode_contenders(emissions, tags, mask, crf, calls: int, device):  # type: ignore[no-untyped-def]
    import torch

    from nlpkit.crf import viterbi

    def nlpkit() -> None:
        with torch.no_grad():
            for _ in range(calls):
                _decode_lists(viterbi(emissions, mask, *_params(crf))[0], mask)

    def pytorch_crf() -> None:
        with torch.no_grad():
            for _ in range(calls):
                crf.decode(emissions, mask)

    return {"nlpkit": nlpkit, "pytorch-crf": pytorch_crf}


def _clear(leaves) -> None:  # type: ignore[no-untyped-def]
    for leaf in leaves:
        leaf.grad = None


def _sync(device) -> None:  # type: ignore[no-untyped-def]
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    sys.exit(main())
