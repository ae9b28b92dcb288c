"""The ``nlpkit`` command line: a click group whose commands load lazily.

Each command lives in its own module and is imported only when run, so
``nlpkit --help`` never imports torch or spaCy. Errors nlpkit raises on purpose
print as one ``Error:`` line with a non-zero exit; ``--traceback`` shows more.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from ..about import __version__
from ..errors import NlpkitError

#: name -> "module:attribute" of the built-in commands.
COMMANDS = {
    "tokenize": "nlpkit.cli.tokenize:tokenize",
    "plugins": "nlpkit.cli.plugins:plugins",
    "train": "nlpkit.cli.train:train",
    "predict": "nlpkit.cli.predict:predict",
    "evaluate": "nlpkit.cli.evaluate:evaluate",
    "generate": "nlpkit.cli.generate:generate",
    "models": "nlpkit.cli.models:models",
}


class LazyGroup(click.Group):
    """A group that imports built-in commands on demand and adds plugin commands."""

    #: plugin name -> the commands its ``register_commands`` hook added.
    plugin_commands: dict[str, list[str]] | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, _, attr = COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        self._add_plugin_commands()
        return self.commands.get(name)

    def _add_plugin_commands(self) -> dict[str, list[str]]:
        """Run each plugin's ``register_commands`` once; a plugin that fails is skipped."""
        if self.plugin_commands is None:
            from ..plugins import plugin_manager

            self.plugin_commands = {}
            for impl in plugin_manager().hook.register_commands.get_hookimpls():
                self.plugin_commands[impl.plugin_name] = self._commands_of(impl)
        return self.plugin_commands

    def _commands_of(self, impl) -> list[str]:  # type: ignore[no-untyped-def]
        from ..plugins import PluginLoadWarning, describe, plugin_infos, record_error

        before = dict(self.commands)
        try:
            impl.function(**dict.fromkeys(impl.argnames, self))
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the CLI
            self.commands = before
            error = f"register_commands failed: {type(exc).__name__}: {exc}"
            record_error(impl.plugin_name, error)
            info = next(i for i in plugin_infos() if i.name == impl.plugin_name)
            warnings.warn(f"nlpkit skipped the commands of plugin {describe(info)}: {error}", PluginLoadWarning,
                          stacklevel=2)
            return []
        return sorted(set(self.commands) - set(before))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``--traceback`` may come after the subcommand too (``nlpkit predict ... --traceback``):
        it is the group's option wherever it is written, up to a ``--``."""
        end = args.index("--") if "--" in args else len(args)
        if "--traceback" in args[1:end]:
            args = ["--traceback", *(a for i, a in enumerate(args) if a != "--traceback" or i >= end)]
        return super().parse_args(ctx, args)

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except NlpkitError as exc:
            if ctx.params.get("traceback"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # e.g. `nlpkit tokenize ... | head`
            sys.stderr.close()
            ctx.exit(1)
        except KeyboardInterrupt:  # Ctrl-C: 130 (128 + SIGINT) from every command, as train gives
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nlpkit")
@click.option("--traceback", is_flag=True, help="Show the full traceback of errors.")
def cli(traceback: bool) -> None:
    """nlpkit: tokenization, tagging, classification and generation for Chinese and English.

    \b
    Examples:
      nlpkit tokenize "我来到北京清华大学"
      nlpkit models                                # pretrained pipelines, by name
      nlpkit tokenize -t zh-cws "上海浦东开发与法制建设同步"
      nlpkit tokenize --tokenizer spacy --option lang=en "Don't stop."
      nlpkit tokenize --input big.txt --jobs 4 --format json > tokens.jsonl
      nlpkit plugins
    """


def _show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    click.echo(f"Warning: {message}", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="nlpkit")
