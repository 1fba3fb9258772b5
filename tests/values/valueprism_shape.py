"""Small labelled files in ValuePrism's shapes, written for these tests (not taken from the dataset)."""

from __future__ import annotations

import csv
from pathlib import Path

# (situation, [(kind, text, valence)] relevant to it); each situation's items are irrelevant to the others.
SITUATIONS = [
    ("Lying to a friend to spare their feelings", [("Value", "Honesty", "Opposes"), ("Value", "Kindness", "Supports"),
                                                  ("Duty", "Duty to tell the truth", "Opposes")]),
    ("Stealing bread to feed your hungry children", [("Value", "Care for one's family", "Supports"), ("Right", "Right to property", "Opposes"),
                                                     ("Duty", "Duty to obey the law", "Opposes")]),
    ("Reading your partner's messages in secret", [("Right", "Right to privacy", "Opposes"), ("Value", "Trust in a relationship", "Opposes"),
                                                   ("Value", "Security", "Either")]),
    ("Donating a kidney to a stranger", [("Value", "Generosity", "Supports"), ("Value", "Bodily health", "Opposes"),
                                         ("Value", "Saving a life", "Supports")]),
    ("Cutting down an old tree to build a house", [("Value", "Protecting nature", "Opposes"), ("Right", "Right to housing", "Supports"),
                                                   ("Value", "Economic development", "Either")]),
    ("Skipping work to care for a sick parent", [("Duty", "Duty to care for parents", "Supports"), ("Value", "Reliability at work", "Opposes"),
                                                 ("Value", "Compassion", "Supports")]),
    ("Cheating on an exam to keep a scholarship", [("Value", "Academic integrity", "Opposes"), ("Value", "Fairness to other students", "Opposes"),
                                                   ("Value", "Financial security", "Supports")]),
    ("Refusing a vaccine during an epidemic", [("Value", "Bodily autonomy", "Supports"), ("Value", "Public health", "Opposes"),
                                              ("Duty", "Duty to protect others from disease", "Opposes")]),
    ("Breaking a promise to attend a friend's wedding", [("Value", "Keeping one's word", "Opposes"), ("Value", "Friendship", "Either"),
                                                         ("Value", "Personal freedom", "Supports")]),
    ("Reporting a coworker who steals from the company", [("Value", "Loyalty to colleagues", "Opposes"), ("Value", "Justice", "Supports"),
                                                          ("Duty", "Duty to report wrongdoing", "Supports")]),
]


def labelled_rows() -> list[dict]:
    """Every situation with its own items (relevant) and the next situation's items (not relevant)."""
    rows = []
    for i, (situation, items) in enumerate(SITUATIONS):
        other = SITUATIONS[(i + 1) % len(SITUATIONS)][1]
        rows += [{"situation": situation, "vrd": k, "text": t, "valence": v, "label": "Yes"} for k, t, v in items]
        rows += [{"situation": situation, "vrd": k, "text": t, "valence": "", "label": "No"} for k, t, _ in other]
    return rows


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_release(root: Path, test_situations: int = 3) -> Path:
    """A folder laid out like the release: relevance/ and valence/ with train and test splits, and full/."""
    rows = labelled_rows()
    test = {s for s, _ in SITUATIONS[-test_situations:]}
    for split, part in (("train", [r for r in rows if r["situation"] not in test]), ("test", [r for r in rows if r["situation"] in test])):
        write_csv(root / "relevance" / f"relevance_{split}.csv", part, ["situation", "vrd", "text", "label"])
        write_csv(root / "valence" / f"valence_{split}.csv", [{**r, "label": r["valence"]} for r in part if r["valence"]],
                  ["situation", "vrd", "text", "label"])
    write_csv(root / "full" / "full.csv", [{**r, "explanation": f"{r['text']} bears on this."} for r in rows if r["valence"]],
              ["situation", "vrd", "text", "explanation", "valence"])
    return root
