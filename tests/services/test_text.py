from services.text import REPLACEMENT, shortened, storable

# Text as Telegram users really send it.
TELEGRAM_TEXTS = [
    "plain ascii",
    "emoji 👩‍👩‍👧‍👦 🇺🇦 ❤️‍🔥",
    "שלום עולם مرحبا بالعالم",  # right-to-left scripts
    "e\u0301 n\u0303 a\u030a",  # combining marks
    "zero\u200bwidth \ufeff bom",
]


def test_telegram_texts_pass_unchanged() -> None:
    for text in TELEGRAM_TEXTS:
        assert storable(text) == text


def test_lone_surrogates_become_replacement_characters() -> None:
    assert storable("a\ud800b") == f"a{REPLACEMENT}b"
    assert storable("\udfff") == REPLACEMENT


def test_surrogate_pair_is_joined_into_its_character() -> None:
    assert storable("\ud83d\ude00 and \ud800") == f"😀 and {REPLACEMENT}"


def test_nul_becomes_replacement_character() -> None:
    assert storable("a\x00b") == f"a{REPLACEMENT}b"
    assert storable("ü\x00") == f"ü{REPLACEMENT}"


def test_shortened_keeps_short_text_and_cuts_long_text_to_the_limit() -> None:
    assert shortened("gpt-4o", 64) == "gpt-4o"
    assert shortened("x" * 64, 64) == "x" * 64
    assert shortened("x" * 65, 64) == "x" * 63 + "\N{HORIZONTAL ELLIPSIS}"
    assert len(shortened("y" * 5000, 64)) == 64
