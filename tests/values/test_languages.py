"""The value map's per-language prompt files: each has every field, reads into today's prompts, and a broken one
fails on load with its file and field named."""

from __future__ import annotations

import tomllib
from dataclasses import fields

import pytest

from pluralign.audit import prompts as audit_prompts
from pluralign.data.language_files import LanguageFileError
from pluralign.valuemaps.prompts import (LANGUAGES, PROMPTS, ValuePrompts, explanation_prompt, generation_prompt,
                                      load_languages, read_language, relevance_prompt, valence_prompt)

from ..language_files import broken_copy

FILES = sorted((f for f in LANGUAGES.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)

# The prompts as the code wrote them before they became data files: the specification of what the files hold.
SITUATION, KIND, TEXT = 'Keeping a wallet found in the street', 'Duty', 'Duty to return lost property'
EXPECTED: dict[str, dict] = {
    'en': {
        'generation': ("List the values, rights and duties at stake in the situation, one per line, each starting with 'Value:', 'Right:' or 'Duty:'.\n"
                       '\n'
                       "Situation: Borrowing a neighbour's ladder without asking\n"
                       'Value: Respect for property\n'
                       'Value: Helpfulness\n'
                       'Value: Trust between neighbours\n'
                       "Right: Right to one's property\n"
                       'Duty: Duty to ask permission\n'
                       '\n'
                       'Situation: Keeping a wallet found in the street\n'),
        'relevance': ('Say whether a value, right or duty is relevant to the situation. Answer Yes or No.\n'
                      '\n'
                      "Situation: Borrowing a neighbour's ladder without asking\n"
                      'Value: Respect for property\n'
                      'Relevant?\n'
                      'Yes\n'
                      '\n'
                      "Situation: Borrowing a neighbour's ladder without asking\n"
                      'Value: Love of music\n'
                      'Relevant?\n'
                      'No\n'
                      '\n'
                      'Situation: Keeping a wallet found in the street\n'
                      'Duty: Duty to return lost property\n'
                      'Relevant?\n'),
        'relevance_answers': (' Yes', ' No'),
        'valence': ('Say whether a value, right or duty supports or opposes the action in the situation, or could be either. Answer Supports, Opposes or Either.\n'
                    '\n'
                    "Situation: Borrowing a neighbour's ladder without asking\n"
                    'Duty: Duty to ask permission\n'
                    'Supports or opposes?\n'
                    'Opposes\n'
                    '\n'
                    "Situation: Borrowing a neighbour's ladder without asking\n"
                    'Value: Helpfulness\n'
                    'Supports or opposes?\n'
                    'Supports\n'
                    '\n'
                    "Situation: Borrowing a neighbour's ladder without asking\n"
                    'Value: Trust between neighbours\n'
                    'Supports or opposes?\n'
                    'Either\n'
                    '\n'
                    'Situation: Keeping a wallet found in the street\n'
                    'Duty: Duty to return lost property\n'
                    'Supports or opposes?\n'),
        'valence_answers': (' Supports', ' Opposes', ' Either'),
        'explanation': ('Situation: Keeping a wallet found in the street\n'
                        'Duty: Duty to return lost property\n'
                        'Explain in one sentence how this bears on the situation.\n'),
    },
    'de': {
        'generation': ("Nenne die Werte, Rechte und Pflichten, um die es in der Situation geht, eine pro Zeile, jede beginnend mit 'Wert:', 'Recht:' oder 'Pflicht:'.\n"
                       '\n'
                       'Situation: Sich die Leiter des Nachbarn leihen, ohne zu fragen\n'
                       'Wert: Respekt vor fremdem Eigentum\n'
                       'Wert: Hilfsbereitschaft\n'
                       'Wert: Vertrauen unter Nachbarn\n'
                       'Recht: Recht auf Eigentum\n'
                       'Pflicht: Pflicht, um Erlaubnis zu fragen\n'
                       '\n'
                       'Situation: Keeping a wallet found in the street\n'),
        'relevance': ('Sage, ob ein Wert, ein Recht oder eine Pflicht für die Situation relevant ist. Antworte mit Ja oder Nein.\n'
                      '\n'
                      'Situation: Sich die Leiter des Nachbarn leihen, ohne zu fragen\n'
                      'Wert: Respekt vor fremdem Eigentum\n'
                      'Relevant?\n'
                      'Ja\n'
                      '\n'
                      'Situation: Sich die Leiter des Nachbarn leihen, ohne zu fragen\n'
                      'Wert: Liebe zur Musik\n'
                      'Relevant?\n'
                      'Nein\n'
                      '\n'
                      'Situation: Keeping a wallet found in the street\n'
                      'Pflicht: Duty to return lost property\n'
                      'Relevant?\n'),
        'relevance_answers': (' Ja', ' Nein'),
        'valence': ('Sage, ob ein Wert, ein Recht oder eine Pflicht für oder gegen die Handlung in der Situation spricht, oder beides sein kann. Antworte mit Dafür, Dagegen oder Beides.\n'
                    '\n'
                    'Situation: Sich die Leiter des Nachbarn leihen, ohne zu fragen\n'
                    'Pflicht: Pflicht, um Erlaubnis zu fragen\n'
                    'Dafür oder dagegen?\n'
                    'Dagegen\n'
                    '\n'
                    'Situation: Sich die Leiter des Nachbarn leihen, ohne zu fragen\n'
                    'Wert: Hilfsbereitschaft\n'
                    'Dafür oder dagegen?\n'
                    'Dafür\n'
                    '\n'
                    'Situation: Sich die Leiter des Nachbarn leihen, ohne zu fragen\n'
                    'Wert: Vertrauen unter Nachbarn\n'
                    'Dafür oder dagegen?\n'
                    'Beides\n'
                    '\n'
                    'Situation: Keeping a wallet found in the street\n'
                    'Pflicht: Duty to return lost property\n'
                    'Dafür oder dagegen?\n'),
        'valence_answers': (' Dafür', ' Dagegen', ' Beides'),
        'explanation': ('Situation: Keeping a wallet found in the street\n'
                        'Pflicht: Duty to return lost property\n'
                        'Erkläre in einem Satz, was das mit der Situation zu tun hat.\n'),
    },
    'fr': {
        'generation': ("Énumérez les valeurs, droits et devoirs en jeu dans la situation, un par ligne, chacun commençant par 'Valeur :', 'Droit :' ou 'Devoir :'.\n"
                       '\n'
                       "Situation: Emprunter l'échelle du voisin sans lui demander\n"
                       'Valeur: Respect de la propriété\n'
                       'Valeur: Entraide\n'
                       'Valeur: Confiance entre voisins\n'
                       'Droit: Droit de propriété\n'
                       'Devoir: Devoir de demander la permission\n'
                       '\n'
                       'Situation: Keeping a wallet found in the street\n'),
        'relevance': ('Dites si une valeur, un droit ou un devoir est pertinent pour la situation. Répondez Oui ou Non.\n'
                      '\n'
                      "Situation: Emprunter l'échelle du voisin sans lui demander\n"
                      'Valeur: Respect de la propriété\n'
                      'Pertinent ?\n'
                      'Oui\n'
                      '\n'
                      "Situation: Emprunter l'échelle du voisin sans lui demander\n"
                      'Valeur: Amour de la musique\n'
                      'Pertinent ?\n'
                      'Non\n'
                      '\n'
                      'Situation: Keeping a wallet found in the street\n'
                      'Devoir: Duty to return lost property\n'
                      'Pertinent ?\n'),
        'relevance_answers': (' Oui', ' Non'),
        'valence': ("Dites si une valeur, un droit ou un devoir plaide pour ou contre l'action de la situation, ou peut-être les deux. Répondez Pour, Contre ou Selon.\n"
                    '\n'
                    "Situation: Emprunter l'échelle du voisin sans lui demander\n"
                    'Devoir: Devoir de demander la permission\n'
                    'Pour ou contre ?\n'
                    'Contre\n'
                    '\n'
                    "Situation: Emprunter l'échelle du voisin sans lui demander\n"
                    'Valeur: Entraide\n'
                    'Pour ou contre ?\n'
                    'Pour\n'
                    '\n'
                    "Situation: Emprunter l'échelle du voisin sans lui demander\n"
                    'Valeur: Confiance entre voisins\n'
                    'Pour ou contre ?\n'
                    'Selon\n'
                    '\n'
                    'Situation: Keeping a wallet found in the street\n'
                    'Devoir: Duty to return lost property\n'
                    'Pour ou contre ?\n'),
        'valence_answers': (' Pour', ' Contre', ' Selon'),
        'explanation': ('Situation: Keeping a wallet found in the street\n'
                        'Devoir: Duty to return lost property\n'
                        'Expliquez en une phrase le lien avec la situation.\n'),
    },
    'it': {
        'generation': ("Elenca i valori, i diritti e i doveri in gioco nella situazione, uno per riga, ognuno che inizia con 'Valore:', 'Diritto:' o 'Dovere:'.\n"
                       '\n'
                       'Situazione: Prendere in prestito la scala del vicino senza chiedere\n'
                       'Valore: Rispetto della proprietà\n'
                       'Valore: Disponibilità ad aiutare\n'
                       'Valore: Fiducia tra vicini\n'
                       'Diritto: Diritto di proprietà\n'
                       'Dovere: Dovere di chiedere il permesso\n'
                       '\n'
                       'Situazione: Keeping a wallet found in the street\n'),
        'relevance': ("Di' se un valore, un diritto o un dovere è rilevante per la situazione. Rispondi Sì o No.\n"
                      '\n'
                      'Situazione: Prendere in prestito la scala del vicino senza chiedere\n'
                      'Valore: Rispetto della proprietà\n'
                      'Rilevante?\n'
                      'Sì\n'
                      '\n'
                      'Situazione: Prendere in prestito la scala del vicino senza chiedere\n'
                      'Valore: Amore per la musica\n'
                      'Rilevante?\n'
                      'No\n'
                      '\n'
                      'Situazione: Keeping a wallet found in the street\n'
                      'Dovere: Duty to return lost property\n'
                      'Rilevante?\n'),
        'relevance_answers': (' Sì', ' No'),
        'valence': ("Di' se un valore, un diritto o un dovere è a favore o contro l'azione della situazione, o se può essere entrambe le cose. Rispondi Favore, Contro o Dipende.\n"
                    '\n'
                    'Situazione: Prendere in prestito la scala del vicino senza chiedere\n'
                    'Dovere: Dovere di chiedere il permesso\n'
                    'A favore o contro?\n'
                    'Contro\n'
                    '\n'
                    'Situazione: Prendere in prestito la scala del vicino senza chiedere\n'
                    'Valore: Disponibilità ad aiutare\n'
                    'A favore o contro?\n'
                    'Favore\n'
                    '\n'
                    'Situazione: Prendere in prestito la scala del vicino senza chiedere\n'
                    'Valore: Fiducia tra vicini\n'
                    'A favore o contro?\n'
                    'Dipende\n'
                    '\n'
                    'Situazione: Keeping a wallet found in the street\n'
                    'Dovere: Duty to return lost property\n'
                    'A favore o contro?\n'),
        'valence_answers': (' Favore', ' Contro', ' Dipende'),
        'explanation': ('Situazione: Keeping a wallet found in the street\n'
                        'Dovere: Duty to return lost property\n'
                        "Spiega in una frase che cosa c'entra con la situazione.\n"),
    },
    'tr': {
        'generation': ("Bu durumda söz konusu olan değerleri, hakları ve görevleri her satıra bir tane olacak şekilde, 'Değer:', 'Hak:' ya da 'Görev:' ile başlayarak yaz.\n"
                       '\n'
                       'Durum: Komşunun merdivenini sormadan ödünç almak\n'
                       'Değer: Mülkiyete saygı\n'
                       'Değer: Yardımseverlik\n'
                       'Değer: Komşular arası güven\n'
                       'Hak: Mülkiyet hakkı\n'
                       'Görev: İzin isteme görevi\n'
                       '\n'
                       'Durum: Keeping a wallet found in the street\n'),
        'relevance': ('Bir değerin, hakkın ya da görevin bu durumla ilgili olup olmadığını söyle. Evet ya da Hayır diye cevap ver.\n'
                      '\n'
                      'Durum: Komşunun merdivenini sormadan ödünç almak\n'
                      'Değer: Mülkiyete saygı\n'
                      'İlgili mi?\n'
                      'Evet\n'
                      '\n'
                      'Durum: Komşunun merdivenini sormadan ödünç almak\n'
                      'Değer: Müzik sevgisi\n'
                      'İlgili mi?\n'
                      'Hayır\n'
                      '\n'
                      'Durum: Keeping a wallet found in the street\n'
                      'Görev: Duty to return lost property\n'
                      'İlgili mi?\n'),
        'relevance_answers': (' Evet', ' Hayır'),
        'valence': ('Bir değerin, hakkın ya da görevin bu durumdaki eylemi destekleyip desteklemediğini ya da ikisinin de olabileceğini söyle. Destekler, Karşı ya da Duruma diye cevap ver.\n'
                    '\n'
                    'Durum: Komşunun merdivenini sormadan ödünç almak\n'
                    'Görev: İzin isteme görevi\n'
                    'Destekler mi, karşı mı?\n'
                    'Karşı\n'
                    '\n'
                    'Durum: Komşunun merdivenini sormadan ödünç almak\n'
                    'Değer: Yardımseverlik\n'
                    'Destekler mi, karşı mı?\n'
                    'Destekler\n'
                    '\n'
                    'Durum: Komşunun merdivenini sormadan ödünç almak\n'
                    'Değer: Komşular arası güven\n'
                    'Destekler mi, karşı mı?\n'
                    'Duruma\n'
                    '\n'
                    'Durum: Keeping a wallet found in the street\n'
                    'Görev: Duty to return lost property\n'
                    'Destekler mi, karşı mı?\n'),
        'valence_answers': (' Destekler', ' Karşı', ' Duruma'),
        'explanation': ('Durum: Keeping a wallet found in the street\n'
                        'Görev: Duty to return lost property\n'
                        'Bunun durumla ilgisini tek cümleyle açıkla.\n'),
    },
    'es': {
        'generation': ("Enumera los valores, derechos y deberes en juego en la situación, uno por línea, cada uno empezando por 'Valor:', 'Derecho:' o 'Deber:'.\n"
                       '\n'
                       'Situación: Tomar prestada la escalera del vecino sin preguntar\n'
                       'Valor: Respeto a la propiedad\n'
                       'Valor: Solidaridad\n'
                       'Valor: Confianza entre vecinos\n'
                       'Derecho: Derecho a la propiedad\n'
                       'Deber: Deber de pedir permiso\n'
                       '\n'
                       'Situación: Keeping a wallet found in the street\n'),
        'relevance': ('Di si un valor, un derecho o un deber es relevante para la situación. Responde Sí o No.\n'
                      '\n'
                      'Situación: Tomar prestada la escalera del vecino sin preguntar\n'
                      'Valor: Respeto a la propiedad\n'
                      '¿Relevante?\n'
                      'Sí\n'
                      '\n'
                      'Situación: Tomar prestada la escalera del vecino sin preguntar\n'
                      'Valor: Amor por la música\n'
                      '¿Relevante?\n'
                      'No\n'
                      '\n'
                      'Situación: Keeping a wallet found in the street\n'
                      'Deber: Duty to return lost property\n'
                      '¿Relevante?\n'),
        'relevance_answers': (' Sí', ' No'),
        'valence': ('Di si un valor, un derecho o un deber apoya o se opone a la acción de la situación, o si puede ser ambas cosas. Responde Apoya, Opone o Depende.\n'
                    '\n'
                    'Situación: Tomar prestada la escalera del vecino sin preguntar\n'
                    'Deber: Deber de pedir permiso\n'
                    '¿Apoya o se opone?\n'
                    'Opone\n'
                    '\n'
                    'Situación: Tomar prestada la escalera del vecino sin preguntar\n'
                    'Valor: Solidaridad\n'
                    '¿Apoya o se opone?\n'
                    'Apoya\n'
                    '\n'
                    'Situación: Tomar prestada la escalera del vecino sin preguntar\n'
                    'Valor: Confianza entre vecinos\n'
                    '¿Apoya o se opone?\n'
                    'Depende\n'
                    '\n'
                    'Situación: Keeping a wallet found in the street\n'
                    'Deber: Duty to return lost property\n'
                    '¿Apoya o se opone?\n'),
        'valence_answers': (' Apoya', ' Opone', ' Depende'),
        'explanation': ('Situación: Keeping a wallet found in the street\n'
                        'Deber: Duty to return lost property\n'
                        'Explica en una frase qué relación tiene con la situación.\n'),
    },
    'pt': {
        'generation': ("Liste os valores, direitos e deveres em jogo na situação, um por linha, cada um começando com 'Valor:', 'Direito:' ou 'Dever:'.\n"
                       '\n'
                       'Situação: Pegar emprestada a escada do vizinho sem pedir\n'
                       'Valor: Respeito à propriedade\n'
                       'Valor: Solidariedade\n'
                       'Valor: Confiança entre vizinhos\n'
                       'Direito: Direito à propriedade\n'
                       'Dever: Dever de pedir permissão\n'
                       '\n'
                       'Situação: Keeping a wallet found in the street\n'),
        'relevance': ('Diga se um valor, direito ou dever é relevante para a situação. Responda Sim ou Não.\n'
                      '\n'
                      'Situação: Pegar emprestada a escada do vizinho sem pedir\n'
                      'Valor: Respeito à propriedade\n'
                      'Relevante?\n'
                      'Sim\n'
                      '\n'
                      'Situação: Pegar emprestada a escada do vizinho sem pedir\n'
                      'Valor: Amor pela música\n'
                      'Relevante?\n'
                      'Não\n'
                      '\n'
                      'Situação: Keeping a wallet found in the street\n'
                      'Dever: Duty to return lost property\n'
                      'Relevante?\n'),
        'relevance_answers': (' Sim', ' Não'),
        'valence': ('Diga se um valor, direito ou dever apoia ou se opõe à ação da situação, ou se pode ser ambos. Responda Apoia, Opõe ou Depende.\n'
                    '\n'
                    'Situação: Pegar emprestada a escada do vizinho sem pedir\n'
                    'Dever: Dever de pedir permissão\n'
                    'Apoia ou se opõe?\n'
                    'Opõe\n'
                    '\n'
                    'Situação: Pegar emprestada a escada do vizinho sem pedir\n'
                    'Valor: Solidariedade\n'
                    'Apoia ou se opõe?\n'
                    'Apoia\n'
                    '\n'
                    'Situação: Pegar emprestada a escada do vizinho sem pedir\n'
                    'Valor: Confiança entre vizinhos\n'
                    'Apoia ou se opõe?\n'
                    'Depende\n'
                    '\n'
                    'Situação: Keeping a wallet found in the street\n'
                    'Dever: Duty to return lost property\n'
                    'Apoia ou se opõe?\n'),
        'valence_answers': (' Apoia', ' Opõe', ' Depende'),
        'explanation': ('Situação: Keeping a wallet found in the street\n'
                        'Dever: Duty to return lost property\n'
                        'Explique em uma frase a relação com a situação.\n'),
    },
}


@pytest.mark.parametrize("path", FILES, ids=lambda f: f.name)
def test_every_language_file_has_every_field(path):
    assert set(tomllib.loads(path.read_text(encoding="utf-8"))) == {f.name for f in fields(ValuePrompts)}
    p = read_language(path)
    assert sorted({v for _, _, v in p.example_items}) == [0, 1, 2]


def test_the_value_map_and_the_audit_know_the_same_languages():
    assert list(PROMPTS) == list(audit_prompts.PROMPTS)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_prompts_are_unchanged(language):
    p, expected = PROMPTS[language], EXPECTED[language]
    assert generation_prompt(SITUATION, p, chat=False) == expected["generation"]
    assert relevance_prompt(SITUATION, KIND, TEXT, p, chat=False) == (expected["relevance"], expected["relevance_answers"])
    assert valence_prompt(SITUATION, KIND, TEXT, p, chat=False) == (expected["valence"], expected["valence_answers"])
    assert explanation_prompt(SITUATION, KIND, TEXT, p, chat=False) == expected["explanation"]


@pytest.mark.parametrize("old, new, message", [
    ('example = "Borrowing a neighbour\'s ladder without asking"\n', "", "field 'example': missing"),
    ('Duty = "Duty"\n', "", "field 'kinds.Duty': missing"),
    ('either = "Either"\n', 'either = "Either"\nboth = "Both"\n', "field 'valence_words.both': unknown"),
    ('text = "Helpfulness"\n', "text = []\n", r"field 'example_items #2.text': must be a non-empty string"),
    ('kind = "Right"\n', 'kind = "Virtue"\n', r"field 'example_items #4.kind': 'Virtue' is none of Value, Right, Duty"),
    ('valence = "either"\n', 'valence = "opposes"\n', "field 'example_items': no item with valence either"),
    ('opposes = "Opposes"\n', 'opposes = "Supports"\n', "field 'valence_words': Supports, Supports, Either"),
])
def test_a_broken_file_fails_on_load_naming_file_and_field(tmp_path, old, new, message):
    path = broken_copy(LANGUAGES, tmp_path, old, new)
    with pytest.raises(LanguageFileError, match=message) as caught:
        load_languages(tmp_path)
    assert str(caught.value).startswith(str(path))
