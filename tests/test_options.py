from pathlib import Path
from typing import Literal

import pytest

from nlpkit.errors import OptionError
from nlpkit.options import check_options, coerce, option_defaults, parse_options


class Example:
    def __init__(
        self,
        *,
        flag: bool = False,
        size: int = 3,
        rate: float = 0.5,
        mode: Literal["a", "b"] = "a",
        name: str | None = None,
        words: tuple[str, ...] = (),
        path: Path | None = None,
    ) -> None:
        pass


def test_parse_options_types_values_from_the_signature():
    opts = parse_options(
        Example,
        ["flag=yes", "size=7", "rate=1e-3", "mode=b", "name=none", "words=北京, 上海", "path=/tmp/x"],
        "Example",
    )
    assert opts == {
        "flag": True, "size": 7, "rate": 0.001, "mode": "b", "name": None,
        "words": ("北京", "上海"), "path": Path("/tmp/x"),
    }


def test_dashes_in_option_names_become_underscores():
    class Dashed:
        def __init__(self, *, keep_whitespace: bool = False) -> None:
            pass

    assert parse_options(Dashed, ["keep-whitespace=true"], "Dashed") == {"keep_whitespace": True}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("flag=maybe", "must be true or false, not 'maybe'"),
        ("size=big", "must be a number"),
        ("mode=c", "must be one of a, b"),
        ("sise=3", "has no option 'sise'. Did you mean 'size'?"),
        ("flag", "not of the form key=value"),
    ],
)
def test_bad_options_say_what_is_wrong(pair, message):
    with pytest.raises(OptionError, match=message):
        parse_options(Example, [pair], "Example")


def test_check_options_lists_the_known_options():
    with pytest.raises(OptionError, match="Its options: flag, size, rate, mode, name, words, path"):
        check_options(Example, {"nope": 1}, "Example")


def test_defaults_and_coerce_union():
    assert option_defaults(Example)["size"] == 3
    assert coerce("4", int | None, "x") == 4
