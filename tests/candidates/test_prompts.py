"""The request for diverse responses: by default it names none of the value judge's poles, in any language."""

import pytest

from pluralign.candidates.prompts import DIVERSE, diverse_prompt

LANGUAGES = ("en", "de", "fr", "it", "tr", "es", "pt")
# The judge's four poles (traditional, secular-rational, survival, self-expression) and the words its axis
# descriptions use, as each language writes them (stems, lower case).
POLE_WORDS = {
    "en": ("tradition", "secular", "rational", "reason", "religio", "authority", "survival", "security",
           "self-expression", "tolerance", "freedom"),
    "de": ("tradition", "säkular", "vernunft", "rational", "religi", "autorität", "überleben", "sicherheit",
           "selbstentfaltung", "selbstausdruck", "toleranz", "freiheit"),
    "fr": ("tradition", "laïque", "sécul", "rationnel", "raison", "religi", "autorité", "survie", "sécurité",
           "expression de soi", "tolérance", "liberté"),
    "it": ("tradizion", "laic", "secolar", "razional", "ragione", "religi", "autorità", "sopravvivenza", "sicurezza",
           "espressione di sé", "tolleranza", "libertà"),
    "tr": ("gelenek", "laik", "seküler", "akılcı", "rasyonel", "din", "otorite", "hayatta kalma", "güvenlik",
           "kendini ifade", "hoşgörü", "özgürlük"),
    "es": ("tradici", "secular", "laic", "racional", "razón", "religi", "autoridad", "supervivencia", "seguridad",
           "autoexpresión", "tolerancia", "libertad"),
    "pt": ("tradiç", "secular", "laic", "racional", "razão", "religi", "autoridade", "sobrevivência", "segurança",
           "autoexpressão", "tolerância", "liberdade"),
}


def _instruction(language: str, **variant) -> str:
    messages = diverse_prompt({"id": "x", "text": "?", "language": language}, 4, chat=True, **variant)
    return messages[-1]["content"].removeprefix("?\n\n").lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_default_request_names_none_of_the_judges_poles(language):
    instruction = _instruction(language)
    assert "4" in instruction  # it asks for k responses
    named = [w for w in POLE_WORDS[language] if w in instruction]
    assert named == [], f"{language}: the default request names {named}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_axes_request_names_them(language):
    # The option kept for comparison; also shows the word lists above catch each language's pole words.
    assert len([w for w in POLE_WORDS[language] if w in _instruction(language, variant="axes")]) >= 2


def test_both_requests_exist_in_every_language():
    assert set(DIVERSE) == {"values", "axes"}
    assert all(set(texts) == set(LANGUAGES) for texts in DIVERSE.values())
