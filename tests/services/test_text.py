from services.text import REPLACEMENT, storable

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
