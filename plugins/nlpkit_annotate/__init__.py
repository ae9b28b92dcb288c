"""``nlpkit annotate``: tokenize or label whole corpora into sharded JSON lines.

- :mod:`.sources` finds the input files and reads their lines (text, or a field of JSON lines);
- :mod:`.shards` cuts the input into shards, writes each one's records and keeps the manifest;
- :mod:`.annotator` runs a pipeline or tokenizer over a shard's lines, a record per line;
- :mod:`.local` runs the shards on the processes of this machine (``--engine local``);
- :mod:`.cli` is the command.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import annotate

    cli.add_command(annotate)
