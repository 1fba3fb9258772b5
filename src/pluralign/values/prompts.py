"""The value-map prompts, as data: per language the kind words, label words, instructions and one worked example.

Every task is few-shot (one worked situation), because small models follow a shown format far better than a
described one. For chat models the example is an earlier turn of the conversation; for base models it is text
before the situation. In scoring prompts the situation comes before the candidate, so all candidates of a
situation share everything up to the candidate as a prefix, which the backends compute once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models.base import Message, Prompt

KINDS = ("Value", "Right", "Duty")
VALENCES = ("supports", "opposes", "either")


@dataclass(frozen=True)
class ValuePrompts:
    situation: str                      # "Situation" in the language
    kinds: tuple[str, str, str]         # Value, Right, Duty
    generate: str                       # instruction for listing values, rights and duties
    relevance: str                      # instruction for relevance
    relevance_question: str
    yes: str
    no: str
    valence: str                        # instruction for valence
    valence_question: str
    valence_words: tuple[str, str, str]  # supports, opposes, either
    explain: str                        # instruction for an explanation
    example: str                        # the worked situation
    example_items: tuple[tuple[int, str, int], ...]  # (kind index, text, valence index) in the worked example
    irrelevant: tuple[int, str]         # a kind and text that do not bear on the example situation

    def kind_word(self, kind: str) -> str:
        return self.kinds[KINDS.index(kind)]


PROMPTS: dict[str, ValuePrompts] = {
    "en": ValuePrompts(
        "Situation", ("Value", "Right", "Duty"),
        "List the values, rights and duties at stake in the situation, one per line, each starting with 'Value:', 'Right:' or 'Duty:'.",
        "Say whether a value, right or duty is relevant to the situation. Answer Yes or No.", "Relevant?", "Yes", "No",
        "Say whether a value, right or duty supports or opposes the action in the situation, or could be either. "
        "Answer Supports, Opposes or Either.", "Supports or opposes?", ("Supports", "Opposes", "Either"),
        "Explain in one sentence how this bears on the situation.",
        "Borrowing a neighbour's ladder without asking",
        ((0, "Respect for property", 1), (0, "Helpfulness", 0), (0, "Trust between neighbours", 2), (1, "Right to one's property", 1), (2, "Duty to ask permission", 1)),
        (0, "Love of music")),
    "de": ValuePrompts(
        "Situation", ("Wert", "Recht", "Pflicht"),
        "Nenne die Werte, Rechte und Pflichten, um die es in der Situation geht, eine pro Zeile, jede beginnend mit 'Wert:', 'Recht:' oder 'Pflicht:'.",
        "Sage, ob ein Wert, ein Recht oder eine Pflicht für die Situation relevant ist. Antworte mit Ja oder Nein.", "Relevant?", "Ja", "Nein",
        "Sage, ob ein Wert, ein Recht oder eine Pflicht für oder gegen die Handlung in der Situation spricht, oder beides sein kann. "
        "Antworte mit Dafür, Dagegen oder Beides.", "Dafür oder dagegen?", ("Dafür", "Dagegen", "Beides"),
        "Erkläre in einem Satz, was das mit der Situation zu tun hat.",
        "Sich die Leiter des Nachbarn leihen, ohne zu fragen",
        ((0, "Respekt vor fremdem Eigentum", 1), (0, "Hilfsbereitschaft", 0), (0, "Vertrauen unter Nachbarn", 2), (1, "Recht auf Eigentum", 1), (2, "Pflicht, um Erlaubnis zu fragen", 1)),
        (0, "Liebe zur Musik")),
    "fr": ValuePrompts(
        "Situation", ("Valeur", "Droit", "Devoir"),
        "Énumérez les valeurs, droits et devoirs en jeu dans la situation, un par ligne, chacun commençant par 'Valeur :', 'Droit :' ou 'Devoir :'.",
        "Dites si une valeur, un droit ou un devoir est pertinent pour la situation. Répondez Oui ou Non.", "Pertinent ?", "Oui", "Non",
        "Dites si une valeur, un droit ou un devoir plaide pour ou contre l'action de la situation, ou peut-être les deux. "
        "Répondez Pour, Contre ou Selon.", "Pour ou contre ?", ("Pour", "Contre", "Selon"),
        "Expliquez en une phrase le lien avec la situation.",
        "Emprunter l'échelle du voisin sans lui demander",
        ((0, "Respect de la propriété", 1), (0, "Entraide", 0), (0, "Confiance entre voisins", 2), (1, "Droit de propriété", 1), (2, "Devoir de demander la permission", 1)),
        (0, "Amour de la musique")),
    "it": ValuePrompts(
        "Situazione", ("Valore", "Diritto", "Dovere"),
        "Elenca i valori, i diritti e i doveri in gioco nella situazione, uno per riga, ognuno che inizia con 'Valore:', 'Diritto:' o 'Dovere:'.",
        "Di' se un valore, un diritto o un dovere è rilevante per la situazione. Rispondi Sì o No.", "Rilevante?", "Sì", "No",
        "Di' se un valore, un diritto o un dovere è a favore o contro l'azione della situazione, o se può essere entrambe le cose. "
        "Rispondi Favore, Contro o Dipende.", "A favore o contro?", ("Favore", "Contro", "Dipende"),
        "Spiega in una frase che cosa c'entra con la situazione.",
        "Prendere in prestito la scala del vicino senza chiedere",
        ((0, "Rispetto della proprietà", 1), (0, "Disponibilità ad aiutare", 0), (0, "Fiducia tra vicini", 2), (1, "Diritto di proprietà", 1), (2, "Dovere di chiedere il permesso", 1)),
        (0, "Amore per la musica")),
    "tr": ValuePrompts(
        "Durum", ("Değer", "Hak", "Görev"),
        "Bu durumda söz konusu olan değerleri, hakları ve görevleri her satıra bir tane olacak şekilde, 'Değer:', 'Hak:' ya da 'Görev:' ile başlayarak yaz.",
        "Bir değerin, hakkın ya da görevin bu durumla ilgili olup olmadığını söyle. Evet ya da Hayır diye cevap ver.", "İlgili mi?", "Evet", "Hayır",
        "Bir değerin, hakkın ya da görevin bu durumdaki eylemi destekleyip desteklemediğini ya da ikisinin de olabileceğini söyle. "
        "Destekler, Karşı ya da Duruma diye cevap ver.", "Destekler mi, karşı mı?", ("Destekler", "Karşı", "Duruma"),
        "Bunun durumla ilgisini tek cümleyle açıkla.",
        "Komşunun merdivenini sormadan ödünç almak",
        ((0, "Mülkiyete saygı", 1), (0, "Yardımseverlik", 0), (0, "Komşular arası güven", 2), (1, "Mülkiyet hakkı", 1), (2, "İzin isteme görevi", 1)),
        (0, "Müzik sevgisi")),
    "es": ValuePrompts(
        "Situación", ("Valor", "Derecho", "Deber"),
        "Enumera los valores, derechos y deberes en juego en la situación, uno por línea, cada uno empezando por 'Valor:', 'Derecho:' o 'Deber:'.",
        "Di si un valor, un derecho o un deber es relevante para la situación. Responde Sí o No.", "¿Relevante?", "Sí", "No",
        "Di si un valor, un derecho o un deber apoya o se opone a la acción de la situación, o si puede ser ambas cosas. "
        "Responde Apoya, Opone o Depende.", "¿Apoya o se opone?", ("Apoya", "Opone", "Depende"),
        "Explica en una frase qué relación tiene con la situación.",
        "Tomar prestada la escalera del vecino sin preguntar",
        ((0, "Respeto a la propiedad", 1), (0, "Solidaridad", 0), (0, "Confianza entre vecinos", 2), (1, "Derecho a la propiedad", 1), (2, "Deber de pedir permiso", 1)),
        (0, "Amor por la música")),
    "pt": ValuePrompts(
        "Situação", ("Valor", "Direito", "Dever"),
        "Liste os valores, direitos e deveres em jogo na situação, um por linha, cada um começando com 'Valor:', 'Direito:' ou 'Dever:'.",
        "Diga se um valor, direito ou dever é relevante para a situação. Responda Sim ou Não.", "Relevante?", "Sim", "Não",
        "Diga se um valor, direito ou dever apoia ou se opõe à ação da situação, ou se pode ser ambos. "
        "Responda Apoia, Opõe ou Depende.", "Apoia ou se opõe?", ("Apoia", "Opõe", "Depende"),
        "Explique em uma frase a relação com a situação.",
        "Pegar emprestada a escada do vizinho sem pedir",
        ((0, "Respeito à propriedade", 1), (0, "Solidariedade", 0), (0, "Confiança entre vizinhos", 2), (1, "Direito à propriedade", 1), (2, "Dever de pedir permissão", 1)),
        (0, "Amor pela música")),
}


# The words that open a right or a duty in each language ("Right to", "Recht auf", ...).
_FRAME = re.compile(r"^(?:right|duty|recht|pflicht|droit|devoir|diritto|dovere|derecho|deber|direito|dever)\s+"
                    r"(?:to|of|auf|zur|zum|zu|de|du|d'|à|a|al|di|del|da|do)?\s*", re.IGNORECASE)


def strip_frame(text: str) -> str:
    """The text without the words only its kind carries: "Right to privacy" -> "privacy"."""
    return _FRAME.sub("", text, count=1)


def prompts_for(language: str) -> ValuePrompts:
    """The prompts of a language, or the English ones where a language has none yet."""
    return PROMPTS.get(language, PROMPTS["en"])


def _turns(system: str, shots: list[tuple[str, str]], query: str, chat: bool) -> Prompt:
    """A few-shot prompt: chat turns for chat models, plain text ending where the answer starts for base models."""
    if chat:
        messages: list[Message] = [{"role": "system", "content": system}]
        for user, answer in shots:
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
        return [*messages, {"role": "user", "content": query}]
    return system + "\n\n" + "".join(f"{user}\n{answer}\n\n" for user, answer in shots) + query + "\n"


def _item(p: ValuePrompts, situation: str, kind: str, text: str) -> str:
    return f"{p.situation}: {situation}\n{p.kind_word(kind)}: {text}"


def generation_prompt(situation: str, p: ValuePrompts, chat: bool) -> Prompt:
    listing = "\n".join(f"{p.kinds[k]}: {t}" for k, t, _ in p.example_items)
    return _turns(p.generate, [(f"{p.situation}: {p.example}", listing)], f"{p.situation}: {situation}", chat)


def relevance_prompt(situation: str, kind: str, text: str, p: ValuePrompts, chat: bool) -> tuple[Prompt, tuple[str, str]]:
    """Prompt and the (yes, no) continuations; base models get a leading space, as after 'Relevant?'."""
    k0, t0, _ = p.example_items[0]
    ki, ti = p.irrelevant
    shots = [(f"{_item(p, p.example, KINDS[k0], t0)}\n{p.relevance_question}", p.yes),
             (f"{_item(p, p.example, KINDS[ki], ti)}\n{p.relevance_question}", p.no)]
    prompt = _turns(p.relevance, shots, f"{_item(p, situation, kind, text)}\n{p.relevance_question}", chat)
    return prompt, _answers((p.yes, p.no), chat)


def valence_prompt(situation: str, kind: str, text: str, p: ValuePrompts, chat: bool) -> tuple[Prompt, tuple[str, str, str]]:
    """Prompt and the (supports, opposes, either) continuations."""
    by_valence = {v: (k, t) for k, t, v in p.example_items}
    shots = [(f"{_item(p, p.example, KINDS[k], t)}\n{p.valence_question}", p.valence_words[v])
             for v, (k, t) in ((v, by_valence[v]) for v in (1, 0, 2))]  # one shot per label: opposes, supports, either
    prompt = _turns(p.valence, shots, f"{_item(p, situation, kind, text)}\n{p.valence_question}", chat)
    return prompt, _answers(p.valence_words, chat)


def explanation_prompt(situation: str, kind: str, text: str, p: ValuePrompts, chat: bool) -> Prompt:
    body = f"{_item(p, situation, kind, text)}\n{p.explain}"
    return [{"role": "user", "content": body}] if chat else f"{body}\n"


def _answers(words: tuple[str, ...], chat: bool) -> tuple[str, ...]:
    return words if chat else tuple(" " + w for w in words)
