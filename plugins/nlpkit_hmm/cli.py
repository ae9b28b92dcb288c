"""``nlpkit hmm reestimate``: Baum-Welch on raw text, from a trained HMM pipeline to a new one.

Registered by the plugin's ``register_commands`` hook; nothing here imports torch.
"""

from __future__ import annotations

import click


@click.group()
def hmm() -> None:
    """Hidden Markov model pipelines: unsupervised re-estimation.

    \b
    Example:
      nlpkit hmm reestimate runs/cws-hmm raw.txt -o runs/cws-hmm-bw --iterations 3 --anchor 0.5
      nlpkit evaluate runs/cws-hmm-bw dev.txt --format segmented
    """


@hmm.command()
@click.argument("pipeline_dir", metavar="PIPELINE", type=click.Path(exists=True, file_okay=False))
@click.argument("raw_text", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Pipeline directory to write.")
@click.option("--iterations", type=click.IntRange(0), default=3, show_default=True, help="EM iterations.")
@click.option("--anchor", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="Weight of the supervised model kept in every distribution (0: plain EM).")
def reestimate(pipeline_dir: str, raw_text: str, output: str, iterations: int, anchor: float) -> None:
    """Re-estimate an HMM pipeline's model on RAW_TEXT (one text a line, tokenized by the
    pipeline's tokenizer) with Baum-Welch, and save the result as a new pipeline."""
    import nlpkit
    from nlpkit.errors import UsageError
    from nlpkit.io import read_lines

    from .baum_welch import reestimate as run

    pipeline = nlpkit.load(pipeline_dir)
    if getattr(pipeline.model, "name", None) != "hmm":
        raise UsageError(f"{pipeline_dir} holds a '{pipeline.model.name}' model; Baum-Welch re-estimates 'hmm' models.")
    sentences = [pipeline.tokenizer(line).texts for line, _ in read_lines(raw_text)]
    lls = run(pipeline.model.hmm, sentences, iterations, anchor=anchor)
    for i, ll in enumerate(lls):
        click.echo(f"iteration {i}: log-likelihood {ll:.1f}", err=True)
    meta = {k: v for k, v in pipeline.meta.items() if k != "metrics"}  # they scored the old model
    meta["baum_welch"] = {"raw_text": raw_text, "sentences": len(sentences), "iterations": iterations,
                          "anchor": anchor, "log_likelihoods": lls, "from": pipeline_dir}
    pipeline.meta = meta
    pipeline.to_disk(output)
    click.echo(f"Saved the re-estimated pipeline to {output}; score it with nlpkit evaluate.", err=True)
