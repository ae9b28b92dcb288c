"""Tiny tagging corpora written for the ner and segment tests (not a test module).

Tests get it through the ``samples`` fixture in tests/conftest.py (the tests run with
``--import-mode=importlib``, so there is no package to import it from).
"""

from __future__ import annotations

import random

PEOPLE = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright", "Hughes"]
CITIES = [["Paris"], ["London"], ["Berlin"], ["Madrid"], ["Rome"], ["New", "York"], ["San", "Francisco"]]
TEMPLATES = [
    "Mr {P} visited {C} .",
    "{C} welcomed Mrs {P} on Monday .",
    "Mrs {P} lives in {C} now .",
    "the weather in {C} was fine .",
    "Mr {P} met Mrs {P} in {C} .",
    "we flew to {C} with Mr {P} .",
    "Mr {P} said nothing .",
]


def ner_sentences(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """``n`` sentences of (token, IOB2 tag): a capitalised name after Mr / Mrs is PER,
    a city from a small list is LOC (New York and San Francisco are two tokens)."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        sentence: list[tuple[str, str]] = []
        for word in rng.choice(TEMPLATES).split():
            if word == "{P}":
                sentence.append((rng.choice(PEOPLE), "B-PER"))
            elif word == "{C}":
                city = rng.choice(CITIES)
                sentence += [(w, ("B-LOC" if i == 0 else "I-LOC")) for i, w in enumerate(city)]
            else:
                sentence.append((word, "O"))
        sentences.append(sentence)
    return sentences


def conll(sentences: list[list[tuple[str, str]]]) -> str:
    """Two-column CoNLL text, a blank line after each sentence."""
    return "".join("".join(f"{w}\t{t}\n" for w, t in s) + "\n" for s in sentences)


SUBJECTS = ["我", "你", "他", "我们", "老师", "学生", "朋友们"]
TIMES = ["今天", "明天", "昨天", "上午", "晚上"]
VERBS = ["喜欢", "学习", "参观", "去", "看", "研究"]
OBJECTS = ["北京", "上海", "大学", "电影", "中国", "历史", "书", "图书馆", "人民公园"]


def cws_sentences(n: int, seed: int) -> list[list[str]]:
    """``n`` gold-segmented Chinese sentences (subject, sometimes a time word, verb,
    object, full stop) from a small hand-segmented lexicon: one character (学, 大, 人)
    begins some words and ends others, so the tags depend on context."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        words = [rng.choice(SUBJECTS)]
        if rng.random() < 0.6:
            words.append(rng.choice(TIMES))
        words += [rng.choice(VERBS), rng.choice(OBJECTS), "。"]
        sentences.append(words)
    return sentences


def segmented(sentences: list[list[str]]) -> str:
    """The ``segmented`` corpus format: words separated by two spaces, a line each."""
    return "".join("  ".join(words) + "\n" for words in sentences)
