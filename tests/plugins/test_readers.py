"""The built-in corpus readers (plugin ``nlpkit_readers``): real corpora and malformed input.

Counts on the real corpora are the ones their SOURCE.md files and the manifest
publish; those tests skip when ../shared/corpora is absent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

import nlpkit_readers
from nlpkit.corpus import Example, corpus_formats, read_corpus
from nlpkit.errors import InputError, UsageError
from nlpkit_readers.columns import conll_column_names

UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"}


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def input_error(path: Path, format: str, line: int | None) -> str:
    """Read ``path`` expecting an InputError at ``line``; return its message after ``file:line: ``."""
    with pytest.raises(InputError) as info:
        read_corpus(path, format)
    error = info.value
    assert (error.path, error.line) == (str(path), line)
    where = str(path) if line is None else f"{path}:{line}"
    assert str(error).startswith(f"{where}: ")
    return error.problem


@pytest.fixture(scope="module")
def real(corpus_file) -> Callable[[str, str, str], list[Example]]:  # type: ignore[no-untyped-def]
    """``real("conll2003", "train", "conll")``: a real corpus file read once per module."""
    return cache(lambda corpus, file, format: read_corpus(corpus_file(corpus, file), format))


def n_tokens(examples: list[Example]) -> int:
    return sum(len(e.tokens or ()) for e in examples)


# --- the hook -------------------------------------------------------------------------------


def test_reads_every_builtin_format() -> None:
    assert {name for name, (plugin, _) in corpus_formats().items() if plugin == "readers"} == set(nlpkit_readers.READERS)


def test_other_formats_are_left_to_other_plugins(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "x\n")
    assert nlpkit_readers.read_corpus(path=path, format="my-format") is None
    with pytest.raises(UsageError, match="Unknown corpus format 'my-format'.*Formats the installed plugins read: .*conllu"):
        read_corpus(path, "my-format")


def test_hook_returns_a_list_and_accepts_str_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "x\ny\n")
    examples = nlpkit_readers.read_corpus(path=str(path), format="plain-text")
    assert examples == [Example(text="x", source=f"{path}:1"), Example(text="y", source=f"{path}:2")]


def test_a_folder_given_for_a_file_format_is_an_input_error(tmp_path: Path) -> None:
    assert "format 'folder-per-class'" in input_error(tmp_path, "conll", None)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="corpus not found"):
        read_corpus(tmp_path / "nope.txt", "conll")


# --- real corpora: counts as published ------------------------------------------------------

TOKEN_COUNTS = [  # corpus, file, format, examples, tokens (sentences and words / chars)
    ("conll2003", "train", "conll", 14_041, 203_621),
    ("conll2003", "dev", "conll", 3_250, 51_362),
    ("wnut17", "train", "conll", 3_394, 62_730),
    ("wnut17", "dev", "conll", 1_009, 15_733),
    ("resume_ner", "train", "bmes", 3_821, 124_099),
    ("resume_ner", "dev", "bmes", 463, 13_890),
    ("ud_english_ewt", "dev", "conllu", 2_001, 25_147),
    ("sxu_cws", "train", "segmented", 17_115, 528_238),
    ("sighan2005_pku", "pku_test_gold.utf8", "segmented", 1_944, 104_372),
]


@pytest.mark.parametrize(("corpus", "file", "format", "examples", "tokens"), TOKEN_COUNTS)
def test_real_corpus_counts(real, corpus, file, format, examples, tokens) -> None:  # type: ignore[no-untyped-def]
    read = real(corpus, file, format)
    assert (len(read), n_tokens(read)) == (examples, tokens)
    assert all(len(tags) == len(e.tokens) for e in read for tags in e.tags.values())


def test_conll2003_columns_and_entity_counts(corpus_file, real) -> None:  # type: ignore[no-untyped-def]
    path = corpus_file("conll2003", "train")
    examples = real("conll2003", "train", "conll")
    first = examples[0]
    assert first.tokens == ("EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", ".")
    assert first.tags["ner"][:3] == ("B-ORG", "O", "B-MISC") and set(first.tags) == {"pos", "chunk", "ner"}
    assert first.source == f"{path}:3"  # after the -DOCSTART- line and its blank line
    assert not any("-DOCSTART-" in e.tokens for e in examples)
    begins = Counter(tag[2:] for e in examples for tag in e.tags["ner"] if tag.startswith("B-"))
    assert begins == {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600}


def test_wnut17_tab_separated_with_tab_only_separator_lines(real) -> None:  # type: ignore[no-untyped-def]
    examples = real("wnut17", "train", "conll")
    assert {tuple(e.tags) for e in examples} == {("ner",)}
    begins = Counter(tag[2:] for e in examples for tag in e.tags["ner"] if tag.startswith("B-"))
    assert begins["person"] == 660 and begins["creative-work"] == 140


def test_resume_ner_one_char_per_token(real) -> None:  # type: ignore[no-untyped-def]
    examples = real("resume_ner", "train", "bmes")
    assert examples[0].tokens[:2] == ("高", "勇") and examples[0].tags == {"tag": examples[0].tags["tag"]}
    assert examples[0].tags["tag"][:3] == ("B-NAME", "E-NAME", "O")
    assert all(len(char) == 1 for e in examples for char in e.tokens)


def test_ud_english_ewt_dev(corpus_file, real) -> None:  # type: ignore[no-untyped-def]
    path = corpus_file("ud_english_ewt", "dev")
    examples = real("ud_english_ewt", "dev", "conllu")
    first = examples[0]
    assert first.text == "From the AP comes this story :" and first.source == f"{path}:1"
    assert first.tokens == ("From", "the", "AP", "comes", "this", "story", ":")
    assert first.tags["upos"] == ("ADP", "DET", "PROPN", "VERB", "DET", "NOUN", "PUNCT")
    assert first.tags["lemma"][3] == "come" and first.tags["xpos"][3] == "VBZ"
    assert all(e.text for e in examples)
    assert {tag for e in examples for tag in e.tags["upos"]} == UPOS


def test_label_tab_text_corpora(real) -> None:  # type: ignore[no-untyped-def]
    chn = real("chnsenticorp", "train", "label-tab-text")
    assert len(chn) == 6_212 and Counter(e.label for e in chn) == {"1": 4_259, "0": 1_953}
    assert sum(e.text == "" for e in chn) == 1  # the one empty review in the source CSV
    sst = real("sst2", "dev", "label-tab-text")
    assert len(sst) == 872 and Counter(e.label for e in sst) == {"1": 444, "0": 428}
    assert sst[0].text == "one long string of cliches ."


def test_names_folder_per_class(corpus_file) -> None:  # type: ignore[no-untyped-def]
    from nlpkit_corpora import load_manifest

    folder = {corpus_file("names", f.path).parent for f in load_manifest().get("names").files}.pop()
    examples = read_corpus(folder, "folder-per-class")
    counts = Counter(e.label for e in examples)
    assert len(examples) == 20_074 and len(counts) == 18  # SOURCE.md is not a class
    assert counts["Russian"] == 9_408 and counts["Korean"] == 94 and counts["Vietnamese"] == 73
    assert examples[0] == Example(text="Khoury", label="Arabic", source=f"{folder / 'Arabic.txt'}:1")


def test_sxu_segmented_text_is_the_words_joined(real) -> None:  # type: ignore[no-untyped-def]
    examples = real("sxu_cws", "train", "segmented")
    assert all(e.text == "".join(e.tokens) for e in examples)
    assert sum(len(e.text) for e in examples) == 854_001


def test_pku_gold_crlf_and_test_input_line_up(real) -> None:  # type: ignore[no-untyped-def]
    gold = real("sighan2005_pku", "pku_test_gold.utf8", "segmented")
    test = real("sighan2005_pku", "pku_test.utf8", "plain-text")
    assert sum(len(e.text) for e in gold) == 172_733
    assert not any("\r" in e.text or " " in e.text for e in gold)
    assert len(test) == 1_945 and test[-1].text == ""  # the empty last line is kept
    assert [e.text for e in test[:-1]] == [e.text for e in gold]


def test_tinyshakespeare_plain_text_keeps_every_line(real) -> None:  # type: ignore[no-untyped-def]
    examples = real("tinyshakespeare", "input.txt", "plain-text")
    assert len(examples) == 40_000 and examples[2].text == ""
    assert sum(len(e.text) + 1 for e in examples) == 1_115_394  # each line plus its newline


# --- label-tab-text -------------------------------------------------------------------------


def test_label_tab_text_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", "pos\tgood film\n\n  \nneg\t\nneu \ta\tb \n")
    examples = read_corpus(path, "label-tab-text")
    assert [(e.label, e.text, e.source) for e in examples] == [
        ("pos", "good film", f"{path}:1"),
        ("neg", "", f"{path}:4"),
        ("neu", "a\tb ", f"{path}:5"),  # label stripped, text exact from the first TAB on
    ]


def test_label_tab_text_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", "\ufeff1\t好\r\n0\tbad\r\n".encode())
    assert [(e.label, e.text) for e in read_corpus(path, "label-tab-text")] == [("1", "好"), ("0", "bad")]


def test_label_tab_text_line_without_tab(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", "1\tok\n1 space separated\n")
    problem = input_error(path, "label-tab-text", 2)
    assert "expected 'LABEL<TAB>TEXT'" in problem and "no TAB" in problem and "replace that first space" in problem


def test_label_tab_text_empty_label(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", "1\tok\n\n \ttext\n")
    assert "label before the TAB is empty" in input_error(path, "label-tab-text", 3)


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", b"1\tok\n0\tbad \xff byte\n")
    assert "invalid UTF-8" in input_error(path, "label-tab-text", 2)


# --- folder-per-class -----------------------------------------------------------------------


def test_folder_per_class(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "Bo\n\nBi \n")
    write(tmp_path, "a.txt", "\ufeffAl\r\n")
    for other in ("SOURCE.md", "README.txt", "notes.csv", ".hidden.txt"):
        write(tmp_path, other, "not a class\n")
    (tmp_path / "sub.txt").mkdir()
    examples = read_corpus(tmp_path, "folder-per-class")
    assert [(e.label, e.text, e.source) for e in examples] == [
        ("a", "Al", f"{tmp_path / 'a.txt'}:1"),
        ("b", "Bo", f"{tmp_path / 'b.txt'}:1"),
        ("b", "Bi ", f"{tmp_path / 'b.txt'}:3"),
    ]


def test_folder_without_class_files(tmp_path: Path) -> None:
    write(tmp_path, "SOURCE.md", "# docs\n")
    assert "no class files" in input_error(tmp_path, "folder-per-class", None)


def test_folder_per_class_needs_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "x\n")
    assert "expected a folder" in input_error(path, "folder-per-class", None)


# --- CoNLL-U --------------------------------------------------------------------------------

CONLLU = """\
# sent_id = 1
# text = I can't go.
1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_
2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_
2\tca\tcan\tAUX\tMD\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
3.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t_\t_
4\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# newdoc id = only comments

1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_conllu_skips_ranges_and_empty_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, "a.conllu", CONLLU)
    first, second = read_corpus(path, "conllu")
    assert first == Example(
        text="I can't go.",
        tokens=("I", "ca", "n't", "go", "."),
        tags={
            "upos": ("PRON", "AUX", "PART", "VERB", "PUNCT"),
            "xpos": ("PRP", "MD", "RB", "VB", "."),
            "lemma": ("I", "can", "not", "go", "."),
        },
        source=f"{path}:1",
    )
    assert (second.text, second.tokens, second.source) == (None, ("Hi",), f"{path}:13")


def test_conllu_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "a.conllu", ("\ufeff" + CONLLU.replace("\n", "\r\n")).encode())
    first, second = read_corpus(path, "conllu")
    assert first.text == "I can't go." and first.tags["upos"][-1] == "PUNCT" and second.tokens == ("Hi",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_", "expected 10 TAB-separated columns (ID FORM"),
        ("1 Hi hi INTJ UH _ 0 root _ _", "columns separated by spaces?"),
        ("x\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_", "expected an integer word ID"),
        ("0\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_", "found '0'"),
    ],
)
def test_conllu_malformed_lines(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, "a.conllu", f"# text = ok\n1\tok\tok\tINTJ\tUH\t_\t0\troot\t_\t_\n\n# text = bad\n{line}\n")
    assert expected in input_error(path, "conllu", 5)


# --- CoNLL columns and BMES -----------------------------------------------------------------


def test_conll_space_separated_with_docstart(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects  VBZ B-VP O\n\n\nOK UH B-INTJ O\n")
    first, second = read_corpus(path, "conll")
    assert first == Example(
        tokens=("EU", "rejects"),
        tags={"pos": ("NNP", "VBZ"), "chunk": ("B-NP", "B-VP"), "ner": ("B-ORG", "O")},
        source=f"{path}:3",
    )
    assert second.tokens == ("OK",) and second.source == f"{path}:7"


def test_conll_tab_separated_keeps_spaces_in_tokens(tmp_path: Path) -> None:
    path = write(tmp_path, "a.conll", "\ufeffNew York\tB-location\r\nrocks\tO\r\n\t\r\n:)\tO\r\n")
    first, second = read_corpus(path, "conll")
    assert first.tokens == ("New York", "rocks") and first.tags == {"ner": ("B-location", "O")}
    assert second.tokens == (":)",) and second.source == f"{path}:4"  # a TAB-only line ends a sentence


def test_conll_column_names_rule() -> None:
    assert conll_column_names(2) == ("ner",)
    assert conll_column_names(3) == ("pos", "ner")
    assert conll_column_names(4) == ("pos", "chunk", "ner")
    assert conll_column_names(5) == ("lemma", "pos", "chunk", "ner")
    assert conll_column_names(7) == ("col1", "col2", "col3", "col4", "col5", "ner")


def test_conll_inconsistent_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "-DOCSTART- -X- O\n\nEU NNP B-ORG\nrejects O\n")
    problem = input_error(path, "conll", 4)
    assert "found 2 columns, but line 3 has 3" in problem


def test_conll_needs_a_tag_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "\nlonely\n")
    assert "expected 'TOKEN TAG [TAG ...]'" in input_error(path, "conll", 2)


def test_conll_empty_tab_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.conll", "a\tO\nb\t\tO\n")
    assert "column 2 is empty" in input_error(path, "conll", 2)


def test_bmes(tmp_path: Path) -> None:
    path = write(tmp_path, "a.bmes", "高 B-NAME\n勇 E-NAME\n\n\n： O\n")
    first, second = read_corpus(path, "bmes")
    assert first == Example(tokens=("高", "勇"), tags={"tag": ("B-NAME", "E-NAME")}, source=f"{path}:1")
    assert second.tokens == ("：",) and second.source == f"{path}:5"


def test_bmes_needs_two_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a.bmes", "高 B-NAME\n勇 E-NAME extra\n")
    assert "expected 'CHAR TAG'" in input_error(path, "bmes", 2)


# --- segmented and plain text ---------------------------------------------------------------


def test_segmented_tolerates_crlf_and_space_runs(tmp_path: Path) -> None:
    path = write(tmp_path, "a.utf8", "\ufeff共同  创造  美好\r\n\r\n－ 8\t号\r\n".encode())
    first, second = read_corpus(path, "segmented")
    assert first == Example(text="共同创造美好", tokens=("共同", "创造", "美好"), source=f"{path}:1")
    assert (second.text, second.tokens, second.source) == ("－8号", ("－", "8", "号"), f"{path}:3")


def test_plain_text_keeps_empty_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "\ufeffFirst:\r\n\r\n  spaced  \n".encode())
    assert [(e.text, e.source) for e in read_corpus(path, "plain-text")] == [
        ("First:", f"{path}:1"),
        ("", f"{path}:2"),
        ("  spaced  ", f"{path}:3"),
    ]
