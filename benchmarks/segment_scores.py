#!/usr/bin/env python
"""Word-segmentation scores (SIGHAN-style P/R/F1, OOV recall) of tokenizers on a gold file.

Each contender is anything ``nlpkit.get_tokenizer`` takes: a tokenizer name (``jieba``)
or a trained ``segment`` pipeline directory. The gold file has one sentence per line,
words separated by spaces; each contender segments the sentence with the spaces removed.

    python benchmarks/segment_scores.py jieba benchmarks/out/runs/cws-sxu
    python benchmarks/segment_scores.py jieba --gold sighan2005_pku/pku_test_gold.utf8 \\
        --words sighan2005_pku/pku_training_words.utf8
"""

from __future__ import annotations

import argparse
import sys

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tokenizers", nargs="+", help="tokenizer names or segment pipeline directories")
    parser.add_argument("--gold", default="sighan2005_pku/pku_test_gold.utf8", help="gold file under the corpora folder")
    parser.add_argument("--words", default=None, help="training word list (one per line) for OOV recall")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args()

    import nlpkit
    from nlpkit.metrics import segmentation_scores

    info = _bench.machine_info(["jieba"])
    _bench.print_machine(info)
    gold = [line.split() for line in _bench.read_lines(_bench.corpus_file(args.gold))]
    gold = [words for words in gold if words]
    dictionary = None
    if args.words:
        dictionary = {w.strip() for w in _bench.read_lines(_bench.corpus_file(args.words)) if w.strip()}
    texts = ["".join(words) for words in gold]
    print(f"gold    : {args.gold}, {len(gold)} sentences, {sum(map(len, gold))} words"
          + (f"; OOV against {args.words}" if args.words else ""))
    rows = [("tokenizer", "precision", "recall", "f1", "oov recall", "iv recall")]
    results = {}
    for name in args.tokenizers:
        tokenizer = nlpkit.get_tokenizer(name)
        predicted = [list(tokens.texts) for tokens in tokenizer.tokenize_batch(texts)]
        scores = segmentation_scores(gold, predicted, dictionary)
        results[name] = scores
        rows.append((name, *(f"{scores[k]:.4f}" if scores[k] is not None else "-"
                             for k in ("precision", "recall", "f1", "oov_recall", "iv_recall"))))
    _bench.print_rows(rows, "word segmentation")
    _bench.write_json(args.json, {"benchmark": "segment_scores", "machine": info, "args": vars(args), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
