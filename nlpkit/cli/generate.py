"""``nlpkit generate``: sample text from a trained language model."""

from __future__ import annotations

import click


@click.command()
@click.argument("model_dir", metavar="MODEL_DIR")
@click.option("--prefix", default="", help="Text to continue [default: start of a line].")
@click.option("--max-length", type=click.IntRange(1), default=200, show_default=True, help="Tokens to generate.")
@click.option("--temperature", type=click.FloatRange(min=0), default=None, help="Sampling temperature (0 = greedy).")
@click.option("--top-k", type=click.IntRange(1), default=None, help="Sample from the k most likely tokens.")
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Sample from the smallest set with this probability mass.")
@click.option("--seed", type=int, default=None, help="Make the sample reproducible.")
@click.option("-n", "--num", type=click.IntRange(1), default=1, show_default=True, help="How many samples.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
def generate(model_dir: str, prefix: str, max_length: int, temperature: float | None, top_k: int | None,
             top_p: float | None, seed: int | None, num: int, device: str) -> None:
    """Continue --prefix with text sampled from the language model in MODEL_DIR.

    Without sampling options, the pipeline's own decoder is used; any of
    --temperature, --top-k or --top-p switches to Gumbel sampling with them.

    \b
    Examples:
      nlpkit generate runs/shakespeare --prefix "ROMEO:" --temperature 0.8 --seed 1
      nlpkit generate runs/shakespeare --top-p 0.9 -n 3
    """
    from ..pipeline import load
    from ..registry import registry

    pipeline = load(model_dir, device=device)
    if temperature is not None or top_k is not None or top_p is not None:
        options = {"temperature": 1.0 if temperature is None else temperature, "top_k": top_k, "top_p": top_p}
        pipeline.decoder = registry("decoders").get("gumbel")(**options)
    for i in range(num):
        text = pipeline.generate(prefix, max_length, seed=None if seed is None else seed + i)
        click.echo(text + ("\n" + "-" * 40 if num > 1 and i < num - 1 else ""))
