import random

import pytest

from nlpkit.testing import TokenizerContract


class TestCharGraphemes(TokenizerContract):
    name = "char"
    examples = {
        "中文 ab": ["中", "文", "a", "b"],
        "e\u0301t\u00e9": ["e\u0301", "t", "\u00e9"],
        "👩\u200d👩\u200d👧!": ["👩\u200d👩\u200d👧", "!"],
    }


class TestCharCodePoints(TokenizerContract):
    name = "char"
    options = {"graphemes": False, "keep_whitespace": True}
    examples = {"e\u0301 x": ["e", "\u0301", " ", "x"]}


@pytest.mark.parametrize("keep_whitespace", [False, True])
def test_code_point_batches_equal_text_by_text(keep_whitespace) -> None:  # type: ignore[no-untyped-def]
    """A batch of code-point tokens is each text's tokens: offsets, whitespace and all."""
    from nlpkit.registry import registry

    tokenizer = registry("tokenizers").get("char")(graphemes=False, keep_whitespace=keep_whitespace)
    rng = random.Random(7)
    letters = "南京市长江大桥a\u0301𠀀🇨🇳 \t\n\u3000"
    for spaces in (False, True):
        pool = letters if spaces else letters[:-4]
        texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(20)] + [""]
        batch = tokenizer.tokenize_batch(texts)
        alone = [tokenizer.tokenize(t) for t in texts]
        assert batch == alone
        assert [(t.text, t.texts, t.starts, t.ends, t.tags) for t in batch] == \
            [(t.text, t.texts, t.starts, t.ends, t.tags) for t in alone]
