"""Splitting model output into k responses, on the layouts small and large models actually produce."""

import pytest

from pluralign.candidates import split_responses

CASES = {
    "numbered list with preamble": ("Here are four views:\n1. Stay home.\n2. Move abroad.\n3. Ask your family.\n4. Wait a year.",
                                    ["Stay home.", "Move abroad.", "Ask your family.", "Wait a year."]),
    "numbers inside a response": ("1. Think of 2 things first.\n2. Decide in 3 days.", ["Think of 2 things first.", "Decide in 3 days."]),
    "markdown headings": ("### Response 1\nFaith first.\n\n### Response 2\nReason first.", ["Faith first.", "Reason first."]),
    "bold headings with colons": ("**Response 1:** A\n**Response 2:** B\n**Response 3:** C", ["A", "B", "C"]),
    "bold labels after numbers": ("1. **Tradition**: keep the custom.\n2. **Freedom**: choose yourself.",
                                  ["Tradition: keep the custom.", "Freedom: choose yourself."]),
    "merged on one line": ("1. Yes. 2. No. 3. It depends.", ["Yes.", "No.", "It depends."]),
    "german headings": ("Antwort 1: Ja, unbedingt.\nAntwort 2: Nein, auf keinen Fall.", ["Ja, unbedingt.", "Nein, auf keinen Fall."]),
    "french headings": ("Réponse 1 : Oui.\nRéponse 2 : Non.", ["Oui.", "Non."]),
    "turkish headings": ("Yanıt 1: Evet.\nYanıt 2: Hayır.", ["Evet.", "Hayır."]),
    "separators": ("First view.\n---\nSecond view.\n---\nThird view.\n---", ["First view.", "Second view.", "Third view."]),
    "paragraphs": ("One way to see it.\n\nAnother way.\n\n", ["One way to see it.", "Another way."]),
    "only one": ("1. Just this one answer.", ["Just this one answer."]),
    "empty items dropped": ("1. \n2. Something.\n3. Else.", ["Something.", "Else."]),
    "quoted": ('1. "Be brave."\n2. "Be careful."', ["Be brave.", "Be careful."]),
    "empty": ("", []),
}


@pytest.mark.parametrize("case", CASES)
def test_layouts(case):
    text, expected = CASES[case]
    assert split_responses(text) == expected
