from __future__ import annotations

from bot.replies import MESSAGE_LIMIT, split_text, utf16_len


def test_text_within_the_limit_is_one_message() -> None:
    assert split_text("short answer") == ["short answer"]
    assert split_text("x" * MESSAGE_LIMIT) == ["x" * MESSAGE_LIMIT]


def test_empty_text_is_no_message() -> None:
    assert split_text("") == []


def test_long_text_is_split_at_the_last_line_break_that_fits() -> None:
    text = "first line\nsecond line\nthird"

    assert split_text(text, limit=24) == ["first line\nsecond line", "third"]


def test_line_without_breaks_is_split_at_the_last_space() -> None:
    assert split_text("alpha beta gamma delta", limit=12) == ["alpha beta", "gamma delta"]


def test_word_longer_than_a_message_is_cut() -> None:
    assert split_text("abcdefghij", limit=4) == ["abcd", "efgh", "ij"]


def test_emoji_count_twice_and_are_never_cut_in_half() -> None:
    text = "😀" * 3

    assert utf16_len(text) == 6
    assert split_text(text, limit=5) == ["😀😀", "😀"]


def test_answer_over_the_real_limit_breaks_at_line_then_at_word() -> None:
    text = "a" * 4000 + "\n" + "b" * 4000 + " " + "c" * 100

    assert split_text(text) == ["a" * 4000, "b" * 4000, "c" * 100]
