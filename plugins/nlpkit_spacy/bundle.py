"""Where the nlpkit pipeline behind a spaCy component or tokenizer lives, and the copy of
it that a saved spaCy model keeps.

A pretrained pipeline is given by name (``"en-ner"``) and stays a name: wherever nlpkit
is installed, the name finds it. A pipeline given as a folder is copied into the spaCy
model folder by ``to_disk`` and read back from that copy by ``from_disk``, so a saved
model does not depend on the folder it was built from.

When that folder is gone (the model was moved or shipped), ``spacy.load`` first builds
the component from its config, which still names the old folder, and only then calls
``from_disk`` with the copy. So a folder that does not exist is not an error when the
component is built: it is one when the component is used without a copy to read.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from nlpkit.about import __version__
from nlpkit.errors import InputError, UsageError
from nlpkit.pretrained import is_path, locate

#: The file that records, in a component's or tokenizer's folder of a saved spaCy model,
#: which nlpkit pipeline it used; and the folder that holds the copy of a pipeline folder.
META_FILE = "nlpkit.json"
COPY = "pipeline"


def pipeline_folder(spec: str) -> Path | None:
    """The pipeline directory ``spec`` names: a pretrained pipeline's files, or the folder
    given (or its ``model/``); ``None`` for a folder that does not exist. An unknown name
    raises :class:`~nlpkit.errors.UsageError` with close matches."""
    from nlpkit.pipeline import pipeline_root

    if is_path(spec):
        path = Path(spec).expanduser()
        return pipeline_root(path) if path.exists() else None
    return locate(spec)


def names_a_folder(spec: str) -> bool:
    """Whether ``spec`` is a path (kept as a copy when saved), not a pretrained name."""
    return is_path(spec)


def missing(what: str, spec: str) -> UsageError:
    """The error for a pipeline folder that neither exists nor was saved with the model."""
    return UsageError(f"{what}: the pipeline folder '{spec}' does not exist, and no copy of it was saved "
                      "with this spaCy model. Give an existing nlpkit pipeline folder or a pretrained name "
                      "('nlpkit models' lists them).")


def write(folder: Path, info: dict[str, Any], source: Path | None) -> None:
    """Write ``info`` into ``folder/nlpkit.json``, and a copy of the pipeline directory
    ``source`` (when given) into ``folder/pipeline``."""
    folder.mkdir(parents=True, exist_ok=True)
    info = {**info, "copy": None, "nlpkit_version": __version__}
    if source is not None:
        target = folder / COPY
        if not (target.exists() and target.resolve() == source.resolve()):  # saving over the model it came from
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
        info["copy"] = COPY
    (folder / META_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read(folder: Path) -> tuple[dict[str, Any], Path | None]:
    """What :func:`write` saved in ``folder``: the info, and the copied pipeline's directory
    (``None`` when the pipeline was a pretrained name)."""
    file = folder / META_FILE
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("missing: the folder of a saved nlpkit spaCy component or tokenizer holds it",
                         str(file)) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", str(file)) from None
    return info, (folder / info["copy"]) if info.get("copy") else None


def same_pipeline(a: Path | None, b: Path) -> bool:
    """Whether the pipeline directories ``a`` and ``b`` hold the same files: their
    ``pipeline.json`` files, which record the sha256 of every file, are identical."""
    if a is None:
        return False
    try:
        spec = (a / "pipeline.json").read_bytes()
        return b"\"files\"" in spec and spec == (b / "pipeline.json").read_bytes()
    except OSError:
        return False
