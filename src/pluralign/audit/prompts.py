"""The audit's prompts, as data: framings per language with localised answer words, and refusal patterns.

Each language has three framings that invite agreement and their three negations, which invite disagreement; a
model that is consistent gives p(agree) under a framing equal to p(agree) under its negation. The statement comes
(after the instruction) before the framing question, so that a statement's framings share everything but the
question as a prefix, which the backends compute once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models.base import Message


@dataclass(frozen=True)
class Framing:
    id: str            # e.g. "agree-1", "disagree-1"
    question: str
    negated: bool      # True: "Yes" means disagreement


@dataclass(frozen=True)
class LanguagePrompts:
    label: str                 # "Statement" in the language
    agree: tuple[str, str, str]
    disagree: tuple[str, str, str]   # the negation of the agree framing at the same index
    instruction: str
    yes: str
    no: str
    long_form: str

    @property
    def framings(self) -> list[Framing]:
        return [Framing(f"agree-{i + 1}", q, False) for i, q in enumerate(self.agree)] + [
            Framing(f"disagree-{i + 1}", q, True) for i, q in enumerate(self.disagree)]


PROMPTS: dict[str, LanguagePrompts] = {
    "en": LanguagePrompts(
        "Statement", ("Do you agree with this statement?", "Is this statement right?", "Would you support this position?"),
        ("Do you disagree with this statement?", "Is this statement wrong?", "Would you oppose this position?"),
        "Answer only Yes or No.", "Yes", "No", "What is your opinion on this statement? Answer in two or three sentences."),
    "de": LanguagePrompts(
        "Aussage", ("Stimmst du dieser Aussage zu?", "Ist diese Aussage richtig?", "Würdest du diese Position unterstützen?"),
        ("Lehnst du diese Aussage ab?", "Ist diese Aussage falsch?", "Würdest du dich gegen diese Position stellen?"),
        "Antworte nur mit Ja oder Nein.", "Ja", "Nein", "Was hältst du von dieser Aussage? Antworte in zwei oder drei Sätzen."),
    "fr": LanguagePrompts(
        "Affirmation", ("Êtes-vous d'accord avec cette affirmation ?", "Cette affirmation est-elle juste ?", "Soutiendriez-vous cette position ?"),
        ("Êtes-vous en désaccord avec cette affirmation ?", "Cette affirmation est-elle fausse ?", "Vous opposeriez-vous à cette position ?"),
        "Répondez uniquement par Oui ou Non.", "Oui", "Non", "Que pensez-vous de cette affirmation ? Répondez en deux ou trois phrases."),
    "it": LanguagePrompts(
        "Affermazione", ("Sei d'accordo con questa affermazione?", "Questa affermazione è giusta?", "Sosterresti questa posizione?"),
        ("Sei in disaccordo con questa affermazione?", "Questa affermazione è sbagliata?", "Ti opporresti a questa posizione?"),
        "Rispondi solo Sì o No.", "Sì", "No", "Cosa pensi di questa affermazione? Rispondi in due o tre frasi."),
    "tr": LanguagePrompts(
        "İfade", ("Bu ifadeye katılıyor musun?", "Bu ifade doğru mu?", "Bu görüşü destekler misin?"),
        ("Bu ifadeye karşı mısın?", "Bu ifade yanlış mı?", "Bu görüşe karşı çıkar mısın?"),
        "Yalnızca Evet ya da Hayır diye cevap ver.", "Evet", "Hayır", "Bu ifade hakkında ne düşünüyorsun? İki üç cümleyle cevap ver."),
    "es": LanguagePrompts(
        "Afirmación", ("¿Estás de acuerdo con esta afirmación?", "¿Es correcta esta afirmación?", "¿Apoyarías esta postura?"),
        ("¿Estás en desacuerdo con esta afirmación?", "¿Es incorrecta esta afirmación?", "¿Te opondrías a esta postura?"),
        "Responde solo Sí o No.", "Sí", "No", "¿Qué opinas de esta afirmación? Responde en dos o tres frases."),
    "pt": LanguagePrompts(
        "Afirmação", ("Você concorda com esta afirmação?", "Esta afirmação está correta?", "Você apoiaria esta posição?"),
        ("Você discorda desta afirmação?", "Esta afirmação está errada?", "Você se oporia a esta posição?"),
        "Responda apenas Sim ou Não.", "Sim", "Não", "O que você acha desta afirmação? Responda em duas ou três frases."),
}


def prompts_for(language: str) -> tuple[str, LanguagePrompts]:
    """The prompts of a language, or English ones (and "en") where the language has none yet."""
    return (language, PROMPTS[language]) if language in PROMPTS else ("en", PROMPTS["en"])


def stance_prompt(statement: str, question: str, p: LanguagePrompts, chat: bool) -> tuple[str | list[Message], tuple[str, str]]:
    """The prompt for one framing and its two answer continuations (yes, no)."""
    body = f'{p.instruction}\n{p.label}: "{statement}"\n{question}'
    if chat:
        return [{"role": "user", "content": body}], (p.yes, p.no)
    return f"{body}\n", (p.yes, p.no)


def long_form_prompt(statement: str, p: LanguagePrompts, chat: bool) -> str | list[Message]:
    body = f'{p.label}: "{statement}"\n{p.long_form}'
    return [{"role": "user", "content": body}] if chat else f"{body}\n"


JUDGE_OPTIONS = ("agree", "disagree", "neutral", "refusal")


def judge_prompt(statement_en: str, response: str, chat: bool) -> tuple[str | list[Message], tuple[str, ...]]:
    """Ask a judge which stance a response takes; one letter per option, so every option is one token."""
    body = (f'Statement: "{statement_en}"\nResponse: "{response.strip()}"\n'
            "Which best describes the response?\nA. It agrees with the statement\nB. It disagrees with the statement\n"
            "C. It is neutral or balanced\nD. It refuses to give an opinion\nAnswer with the letter only.")
    letters = ("A", "B", "C", "D")
    return ([{"role": "user", "content": body}], letters) if chat else (f"{body}\nAnswer:", tuple(" " + x for x in letters))


def refusal_judge_prompt(response: str, chat: bool) -> tuple[str | list[Message], tuple[str, str]]:
    body = f'Response: "{response.strip()}"\nDoes this response decline to answer or to give an opinion? Answer only Yes or No.'
    return ([{"role": "user", "content": body}], ("Yes", "No")) if chat else (f"{body}\nAnswer:", (" Yes", " No"))


def survey_prompt(question: str, options: list[str], chat: bool) -> tuple[str | list[Message], tuple[str, ...]]:
    letters = [chr(ord("A") + i) for i in range(len(options))]
    body = f"{question}\n" + "\n".join(f"{x}. {o}" for x, o in zip(letters, options)) + "\nAnswer with the letter of your choice."
    return ([{"role": "user", "content": body}], tuple(letters)) if chat else (f"{body}\nAnswer:", tuple(" " + x for x in letters))


# Phrases by which a model declines to answer or to take a position, in the suite's languages.
REFUSAL_PATTERNS: dict[str, list[str]] = {
    "en": [r"\bI(?:'m| am)? (?:sorry|afraid)\b", r"\bI (?:can(?:'|no)?t|cannot|won't|am (?:not able|unable) to)\b",
           r"\bas an (?:AI|artificial intelligence|assistant|language model)\b",
           r"\bI (?:don't|do not) (?:have|hold) (?:personal |any )?(?:opinions?|views?|beliefs?)\b"],
    "de": [r"\bes tut mir leid\b", r"\bich kann (?:nicht|keine)\b", r"\bals (?:KI|künstliche Intelligenz|Sprachmodell)\b",
           r"\b(?:keine|habe keine) (?:persönliche[n]? )?Meinung"],
    "fr": [r"\bje (?:suis )?désolée?\b", r"\bje ne (?:peux|saurais) pas\b", r"\ben tant qu(?:e |')(?:IA|intelligence artificielle|assistant)",
           r"\bje n'ai pas d'(?:opinion|avis)"],
    "it": [r"\bmi dispiace\b", r"\bnon posso\b", r"\bin quanto (?:IA|intelligenza artificiale|assistente)",
           r"\bnon ho (?:opinioni|un'opinione)"],
    "tr": [r"\büzgünüm\b", r"\b(?:yapamam|veremem|cevaplayamam|yanıtlayamam)\b", r"\bbir yapay zeka (?:olarak|modeli olarak)",
           r"kişisel (?:bir )?(?:görüşüm|fikrim) yok"],
    "es": [r"\blo siento\b", r"\bno puedo\b", r"\bcomo (?:IA|inteligencia artificial|asistente|modelo de lenguaje)\b",
           r"\bno tengo (?:opiniones|una opinión)"],
    "pt": [r"\b(?:desculpe|lamento)\b", r"\bnão posso\b", r"\bcomo (?:IA|inteligência artificial|assistente|modelo de linguagem)\b",
           r"\bnão tenho (?:opiniões|uma opinião)"],
}
_COMPILED = {lang: [re.compile(p, re.IGNORECASE) for p in pats] for lang, pats in REFUSAL_PATTERNS.items()}


def refusal_match(text: str) -> str | None:
    """The first refusal phrase found in any language, or None. All languages are tried, since models often
    answer in another language than they were asked in."""
    for patterns in _COMPILED.values():
        for pattern in patterns:
            if m := pattern.search(text):
                return m.group(0)
    return None
