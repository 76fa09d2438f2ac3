"""Slugs made from titles: transliteration, fallbacks, truncation and suffixes."""

from __future__ import annotations

import re

import pytest

from cms.slugs import slugify_title, with_suffix

SLUG_SHAPE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Air defence shoots down 31 of 38 drones", "air-defence-shoots-down-31-of-38-drones"),
        ("Grid repairs: what's next?", "grid-repairs-whats-next"),
        ("  Kyiv's   power   is   back  ", "kyivs-power-is-back"),
        ("Café owners return to Irpin — a year on", "cafe-owners-return-to-irpin-a-year-on"),
        ("UPPER case Title", "upper-case-title"),
    ],
)
def test_english_titles(title: str, slug: str) -> None:
    """English titles become lower-case words joined by single hyphens, apostrophes dropped."""
    assert slugify_title(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Київ отримає нові ЗРК", "kyiv-otrymaie-novi-zrk"),
        ("Харків, Запоріжжя і Дніпро без світла", "kharkiv-zaporizhzhia-i-dnipro-bez-svitla"),
        ("Щорічний звіт енергетиків", "shchorichnyi-zvit-enerhetykiv"),
        # Є, Ї, Й, Ю, Я are spelt differently at the start of a word.
        ("Єнакієве", "yenakiieve"),
        ("Їжакевич і Гаїчка", "yizhakevych-i-haichka"),
        ("Йосип Стрий", "yosyp-stryi"),
        ("Юрій Крюков", "yurii-kriukov"),
        ("Яготин і маяк", "yahotyn-i-maiak"),
        # "зг" is "zgh", so that it is not confused with "ж".
        ("Згурівка", "zghurivka"),
        # An apostrophe inside a word is dropped, and the letter after it is not word-initial.
        ("Знам'янка та м’ясо", "znamianka-ta-miaso"),
        ("Об’єднання громад", "obiednannia-hromad"),
        # The soft sign has no Latin letter.
        ("Львів, Гоголь", "lviv-hohol"),
        ("Ґанок", "ganok"),
        ("ЗСУ: 2024 рік", "zsu-2024-rik"),
        ("Kyiv та Київ", "kyiv-ta-kyiv"),
    ],
)
def test_ukrainian_titles_use_the_national_transliteration(title: str, slug: str) -> None:
    """Ukrainian is transliterated by the KMU 2010 table, including its word-start rules."""
    assert slugify_title(title) == slug


def test_other_scripts_are_still_transliterated() -> None:
    """Letters outside the Ukrainian table fall back to a generic transliteration."""
    assert slugify_title("Ёлка, съезд, Ελλάδα") == "elka-sezd-ellada"


@pytest.mark.parametrize("title", ["", "   ", "!!!", "— … —", "???", "🇺🇦🔥", "'’ʼ"])
def test_titles_without_letters_or_digits_fall_back(title: str) -> None:
    """A title of only punctuation, emoji or nothing still gets a slug: "item"."""
    assert slugify_title(title) == "item"


def test_long_titles_are_cut_between_words() -> None:
    """A very long title is cut at the last whole word that fits, never mid-word."""
    title = "Evacuation trains leave frontline towns as shelling intensifies " * 5
    full = slugify_title(title, max_length=1000)

    slug = slugify_title(title)

    assert len(slug) <= 80
    assert full.startswith(slug)
    assert full[len(slug)] == "-"  # what follows the cut is a word break
    assert slug.endswith("-intensifies-evacuation")


def test_long_ukrainian_title_respects_max_length() -> None:
    """Truncation applies after transliteration, so multi-letter spellings cannot overflow."""
    slug = slugify_title("Щорічний " * 30, max_length=40)

    assert slug == "shchorichnyi-shchorichnyi-shchorichnyi"


def test_a_single_overlong_word_is_cut_at_the_limit() -> None:
    """A first word longer than the limit is cut, since there is no boundary to cut at."""
    assert slugify_title("a" * 100 + " tail", max_length=10) == "a" * 10


@pytest.mark.parametrize(
    "title",
    ["Київ — ЗРК!", "--a--b--", "x" * 300, "Ïñtërnâtiônàlizætiøn", "a - - b", "1, 2, 3"],
)
@pytest.mark.parametrize("max_length", [4, 10, 80])
def test_slugs_always_have_the_slug_shape(title: str, max_length: int) -> None:
    """Every slug is lower-case ASCII words joined by single hyphens, within the limit."""
    slug = slugify_title(title, max_length=max_length)

    assert SLUG_SHAPE.fullmatch(slug)
    assert len(slug) <= max_length


def test_max_length_shorter_than_the_fallback_is_refused() -> None:
    """A limit too short for the fallback slug is a programming error."""
    with pytest.raises(ValueError, match="max_length"):
        slugify_title("x", max_length=3)


@pytest.mark.parametrize(
    ("n", "slug"), [(2, "grid-repairs-2"), (3, "grid-repairs-3"), (10, "grid-repairs-10")]
)
def test_suffix_is_appended(n: int, slug: str) -> None:
    """A taken slug is made unique with "-n"."""
    assert with_suffix("grid-repairs", n) == slug


def test_suffix_stays_within_max_length_cutting_between_words() -> None:
    """Room for the suffix is made by dropping whole words from the end."""
    assert with_suffix("grid-repairs-continue", 2, max_length=16) == "grid-repairs-2"
    assert with_suffix("grid-repairs-continue", 123, max_length=16) == "grid-repairs-123"
    assert with_suffix("grid-repairs", 2, max_length=14) == "grid-repairs-2"


def test_suffix_cuts_a_single_long_word() -> None:
    """A one-word slug is cut mid-word when that is the only way to fit the suffix."""
    slug = with_suffix("a" * 80, 2, max_length=80)

    assert slug == "a" * 78 + "-2"


def test_suffix_on_a_slug_of_the_maximum_length() -> None:
    """Suffixing a slug that already fills max_length still gives a slug within it."""
    base = slugify_title("Evacuation trains leave frontline towns " * 4)

    slug = with_suffix(base, 7)

    assert len(slug) <= 80
    assert slug.endswith("-7")
    assert SLUG_SHAPE.fullmatch(slug)


@pytest.mark.parametrize(("n", "max_length"), [(0, 80), (-1, 80), (2, 2), (100, 4)])
def test_suffix_refuses_impossible_requests(n: int, max_length: int) -> None:
    """A non-positive number, or a limit that leaves no room for a slug, is refused."""
    with pytest.raises(ValueError):
        with_suffix("slug", n, max_length=max_length)
