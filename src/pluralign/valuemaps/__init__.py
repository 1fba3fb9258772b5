"""How a situation's value map is made and read: the prompts per language, the candidates a model lists, their
relevance and valence scorers, near-duplicate removal, the calibrated relevance threshold, the maps themselves and
how much of a map an answer covers (Overton coverage). Below the capabilities: ``values`` runs, evaluates and trains
with them, and ``align`` measures its Overton coverage with them."""
