#!/usr/bin/env python
"""Train this plugin's pretrained pipeline, ``example-surnames``, from surnames.toml and
write it where the plugin registers it from (src/nlpkit_sentences/pipelines/surnames),
with its card and the sha256 of every file: how a third-party package rebuilds what it
ships. Takes about ten seconds on a laptop CPU.

    python build_pipeline.py
"""

from __future__ import annotations

from pathlib import Path

import nlpkit
from nlpkit.config import load_config
from nlpkit.pretrained import package

HERE = Path(__file__).resolve().parent
TARGET = HERE / "src" / "nlpkit_sentences" / "pipelines" / "surnames"


def main() -> None:
    run = HERE / "runs" / "surnames"
    pipeline = nlpkit.train(load_config(HERE / "surnames.toml"), run, device="cpu", overwrite=True, progress=False)
    accuracy = pipeline.meta["metrics"]["dev"]["accuracy"]
    package(run, TARGET, {
        "name": "example-surnames",
        "task": "classify",
        "language": "mul",
        "description": "Which language a surname comes from (Chinese, German, Italian, Japanese, Russian): a character GRU",
        "scores": {"names sample dev accuracy": round(accuracy, 4)},
        "data": "245 surnames written for nlpkit (its sample 'names')",
        "licence": "MIT",
        "config": "surnames.toml",
    })
    print(f"wrote {TARGET.relative_to(HERE)} (dev accuracy {accuracy:.4f})")


if __name__ == "__main__":
    main()
