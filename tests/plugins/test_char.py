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
