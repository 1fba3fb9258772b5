"""Parsing candidates out of loosely formatted, multilingual, truncated model output."""

from pluralign.values import parse_vrds


def test_plain_lines_in_english():
    assert parse_vrds("Value: Honesty\nRight: Right to privacy\nDuty: Duty to tell the truth") == [
        ("Value", "Honesty"), ("Right", "Right to privacy"), ("Duty", "Duty to tell the truth")]


def test_bullets_numbers_and_markdown():
    text = "- Value: Honesty\n2) **Right**: Right to life.\n3. **Duty:** Duty to help\n* _Value_: Kindness;"
    assert parse_vrds(text) == [("Value", "Honesty"), ("Right", "Right to life"), ("Duty", "Duty to help"), ("Value", "Kindness")]


def test_kind_words_of_other_languages_and_french_spacing():
    text = "Wert: Ehrlichkeit\nValeur : Honnêteté\nDiritto: Diritto alla salute\nGörev: Yardım etme görevi\nDever: Dever de cuidar"
    assert parse_vrds(text) == [("Value", "Ehrlichkeit"), ("Value", "Honnêteté"), ("Right", "Diritto alla salute"),
                                ("Duty", "Yardım etme görevi"), ("Duty", "Dever de cuidar")]


def test_plural_headings_with_bullets():
    text = "Values:\n- Honesty\n- Kindness\n\nRights:\n1. Right to privacy\nDuties:\n* Duty to care"
    assert parse_vrds(text) == [("Value", "Honesty"), ("Value", "Kindness"), ("Right", "Right to privacy"), ("Duty", "Duty to care")]


def test_a_heading_ends_at_prose():
    assert parse_vrds("Werte:\n- Ehrlichkeit\nDas ist alles.\n- not a value") == [("Value", "Ehrlichkeit")]


def test_chatter_repeats_empty_and_overlong_items_are_skipped():
    text = ("Situation: Lying to a friend\nHere are some values.\nValue:\nValue: Honesty\nvalue: honesty\n"
            "Value: " + "very " * 20 + "long\nSuffix: nothing\nValue: Situation: again\nValue: Kindness")
    assert parse_vrds(text) == [("Value", "Honesty"), ("Value", "Kindness")]


def test_truncated_output_keeps_complete_items():
    assert parse_vrds("Value: Honesty\nRight: Right to") == [("Value", "Honesty")]
    assert parse_vrds("") == []
