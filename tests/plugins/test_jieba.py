"""The jieba tokenizer: contract, equality with jieba itself, isolation, dictionaries."""

from pathlib import Path

import jieba
import jieba.posseg
import pytest

from nlpkit import get_tokenizer
from nlpkit.errors import InputError, OptionError
from nlpkit.testing import SAMPLES, TokenizerContract

SENTENCES = ["我来到北京清华大学", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所，后在日本京都大学深造"]


class TestJiebaAccurate(TokenizerContract):
    name = "jieba"
    examples = {"我来到北京清华大学": ["我", "来到", "北京", "清华大学"]}


class TestJiebaNoHmm(TokenizerContract):
    name = "zh"
    options = {"hmm": False}


class TestJiebaPos(TokenizerContract):
    name = "jieba"
    options = {"pos": True}


class TestJiebaFull(TokenizerContract):
    name = "jieba"
    options = {"mode": "full"}
    only_whitespace_dropped = False  # full mode skips punctuation, as jieba does
    examples = {"我来到北京清华大学": ["我", "来到", "北京", "清华", "清华大学", "华大", "大学"]}


class TestJiebaSearch(TokenizerContract):
    name = "jieba"
    options = {"mode": "search"}


@pytest.fixture(scope="module")
def reference():
    ref = jieba.Tokenizer()
    ref.initialize()
    return ref


@pytest.fixture(scope="module")
def real_lines(corpus_file):
    lines = corpus_file("chnsenticorp", "dev").read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines[:300]] + SENTENCES + SAMPLES


def _visible(words):
    return [w for w in words if w and not w.isspace()]


@pytest.mark.parametrize("hmm", [True, False])
def test_accurate_equals_jieba_lcut(reference, real_lines, hmm):
    tok = get_tokenizer("jieba", hmm=hmm)
    for line in real_lines:
        assert tok(line).texts == _visible(reference.lcut(line, HMM=hmm))


def test_full_mode_equals_jieba_cut_all(reference, real_lines):
    tok = get_tokenizer("jieba", mode="full")
    for line in real_lines:
        assert tok(line).texts == _visible(reference.lcut(line, cut_all=True))


def test_search_mode_equals_jieba_cut_for_search(reference, real_lines):
    tok = get_tokenizer("jieba", mode="search")
    for line in real_lines:
        assert tok(line).texts == _visible(reference.lcut_for_search(line))


def test_pos_equals_jieba_posseg(reference, real_lines):
    tok = get_tokenizer("jieba", pos=True)
    ref = jieba.posseg.POSTokenizer(reference)
    for line in real_lines[:100]:
        pairs = [p for p in ref.lcut(line) if not p.word.isspace()]
        toks = tok(line)
        assert (toks.texts, toks.tags) == ([p.word for p in pairs], [p.flag for p in pairs])


def test_user_dictionaries_do_not_leak_between_instances(tmp_path):
    text = "我爱自然语言处理工具包"
    user_dict = tmp_path / "dict.txt"
    user_dict.write_text("自然语言处理工具包 10 n\n", encoding="utf-8")
    plain = get_tokenizer("jieba")
    before = plain(text).texts
    custom = get_tokenizer("jieba", user_dicts=(str(user_dict),))
    added = get_tokenizer("jieba", words=("蓝瘦香菇",))
    assert "自然语言处理工具包" in custom(text).texts
    assert added("今天真是蓝瘦香菇").texts == ["今天", "真是", "蓝瘦香菇"]
    assert plain("今天真是蓝瘦香菇").texts == ["今天", "真是", "蓝瘦", "香菇"]
    assert plain(text).texts == before and "自然语言处理工具包" not in before
    assert "自然语言处理工具包" not in jieba.lcut(text)  # jieba's global tokenizer untouched


def test_dictionary_cache_lives_in_the_nlpkit_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NLPKIT_CACHE_DIR", str(tmp_path))
    get_tokenizer("jieba")("缓存")
    assert (tmp_path / "jieba" / "jieba.cache").is_file()


def test_bad_user_dictionary_names_the_file_and_line(tmp_path):
    user_dict = tmp_path / "bad.txt"
    user_dict.write_text("好词 5\n坏词 notanumber x y\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.txt:2: expected 'word \[frequency\] \[tag\]'"):
        get_tokenizer("jieba", user_dicts=(str(user_dict),))("坏词")
    user_dict.write_bytes("好词 5\n".encode() + b"\xff\xfe 3\n")
    with pytest.raises(InputError, match=r"bad\.txt:2: invalid UTF-8"):
        get_tokenizer("jieba", user_dicts=(str(user_dict),))("坏词")


def test_user_dictionary_frequency_and_tag_are_used(tmp_path):
    user_dict = tmp_path / "dict.txt"
    user_dict.write_text("\ufeff蓝瘦香菇 50 nz\n\n", encoding="utf-8")
    tok = get_tokenizer("jieba", user_dicts=(str(user_dict),), pos=True)
    toks = tok("今天真是蓝瘦香菇")
    assert (toks.texts[-1], toks.tags[-1]) == ("蓝瘦香菇", "nz")


def test_jiebas_own_user_dictionary_loads_as_jieba_reads_it(tmp_path):
    """jieba's test/userdict.txt: a word with a space (and a frequency) on line 10; a
    byte-order mark may start any line (jieba strips it from each)."""
    user_dict = tmp_path / "userdict.txt"
    user_dict.write_text("云计算 5\n李小福 2 nr\n创新办 3 i\neasy_install 3 eng\n好用 300\n韩玉赏鉴 3 nz\n"
                         "八一双鹿 3 nz\n台中\n凱特琳 nz\nEdu Trust认证 2000\n\ufeff蓝瘦香菇 50 nz\n", encoding="utf-8")
    tok = get_tokenizer("jieba", user_dicts=(str(user_dict),), pos=True)
    toks = tok("李小福是创新办主任也是云计算方面的专家，今天真是蓝瘦香菇")
    assert {"李小福", "创新办", "云计算", "蓝瘦香菇"} <= set(toks.texts)
    assert toks.tags[toks.texts.index("蓝瘦香菇")] == "nz"


def test_missing_dictionary_file(tmp_path):
    with pytest.raises(InputError, match="nope.txt: jieba dictionary file not found"):
        get_tokenizer("jieba", user_dicts=(str(tmp_path / "nope.txt"),))


def test_pos_needs_accurate_mode():
    with pytest.raises(OptionError, match="only in mode=accurate"):
        get_tokenizer("jieba", pos=True, mode="search")


def test_custom_main_dictionary(tmp_path):
    main = tmp_path / "tiny.txt"
    main.write_text("北京 100 ns\n大学 100 n\n", encoding="utf-8")
    tok = get_tokenizer("jieba", dictionary=str(main), hmm=False)
    assert tok("北京大学").texts == ["北京", "大学"]
    assert Path(tok.config()["dictionary"]) == main
