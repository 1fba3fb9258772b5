"""IdealPoint's spectral start: each person's gradient at zero reward, and the groups and directions it finds."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from pluralign.learn import Choices
from pluralign.estimators._start import mean_gradients, spectral_start
from pluralign.simulate import simulate_population


def test_mean_gradients_are_chosen_minus_mean_offered_per_person():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(5, 3))
    candidates = np.array([[0, 1, 2], [0, 3, -1], [4, 1, 0]])  # rows shared between comparisons; one padded
    choices = Choices(features, candidates, np.array([1, 0, 2]), np.array(["b", "a", "b"]))
    codes = np.array([1, 0, 1])
    got = mean_gradients(choices, codes, 2)
    person_a = features[0] - features[[0, 3]].mean(0)
    person_b = ((features[1] - features[[0, 1, 2]].mean(0)) + (features[0] - features[[4, 1, 0]].mean(0))) / 2
    np.testing.assert_allclose(got, [person_a, person_b], rtol=1e-12)


def test_spectral_start_finds_the_simulated_types_and_their_directions():
    pop = simulate_population(n_annotators=240, comparisons_per_annotator=30, random_state=1)
    annotators, codes = np.unique(pop.choices.annotator, return_inverse=True)
    coef, logits = spectral_start(pop.choices, codes, len(annotators), 4, random_state=0)
    truth = pop.annotators["type"].to_numpy()[annotators]
    assert adjusted_rand_score(truth, logits.argmax(1)) > 0.9
    cosine = (pop.directions @ coef) / np.linalg.norm(coef, axis=0)  # (true type, start prototype)
    assert (cosine.max(axis=1) > 0.95).all()  # measured 0.98 to 1.00


def test_spectral_start_with_fewer_people_than_prototypes_still_gives_every_prototype():
    pop = simulate_population(n_annotators=2, comparisons_per_annotator=20, random_state=2)
    annotators, codes = np.unique(pop.choices.annotator, return_inverse=True)
    coef, logits = spectral_start(pop.choices, codes, len(annotators), 4, random_state=0)
    assert coef.shape == (pop.choices.features.shape[1], 4) and logits.shape == (2, 4)
    assert np.isfinite(coef).all() and len({tuple(c) for c in coef.T.round(6)}) == 4
