import threading

import pytest

import nlpkit
from nlpkit.errors import OptionError, UnknownComponentError


def test_tokenize_builds_once_and_reuses():
    first = nlpkit.tokenize("我来到北京", tokenizer="jieba")
    assert first.texts == ["我", "来到", "北京"]
    from nlpkit import api

    cached = [t for (name, _), t in api._cache.items() if name == "jieba"]
    nlpkit.tokenize("清华大学", tokenizer="jieba")
    assert [t for (name, _), t in api._cache.items() if name == "jieba"] == cached


def test_tokenize_options_pass_through():
    assert nlpkit.tokenize("中华人民共和国", tokenizer="jieba", mode="search").texts[-1] == "中华人民共和国"


def test_get_tokenizer_rejects_unknowns():
    with pytest.raises(UnknownComponentError):
        nlpkit.get_tokenizer("no-such")
    with pytest.raises(OptionError, match="Did you mean 'mode'"):
        nlpkit.get_tokenizer("jieba", mdoe="search")


def test_registry_introspection():
    entries = {e.name: e for e in nlpkit.registry("tokenizers")}
    assert set(entries) >= {"char", "jieba", "regex", "spacy", "whitespace"}
    assert entries["jieba"].aliases == ("zh",) and entries["jieba"].distribution == "nlpkit"


def test_tokenize_from_threads():
    texts = ["我来到北京清华大学", "他来到了网易杭研大厦"] * 50
    results = [None] * len(texts)

    def work(i):
        results[i] = nlpkit.tokenize(texts[i], tokenizer="jieba").texts

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [nlpkit.tokenize(t, tokenizer="jieba").texts for t in texts]
