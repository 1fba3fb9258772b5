"""An evaluation by the weights that picked the training pairs, under another spec, is not independent: the embedded
model through transformers (``embedded``) and through llama.cpp (``llamacpp:embedded``) are one set of weights, the
embedded GGUF, and align says so."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
from safetensors.numpy import load_file, save_file

from pluralign.align.independent import SAME_WEIGHTS, independent_rewards, same_weights
from pluralign.candidates.placement import ValuePlacer
from pluralign.models.embedded import SOURCE, embedded_gguf, embedded_hf_dir
from pluralign.models.tokens import weights_source
from pluralign.runs import Models


def test_the_embedded_model_under_both_specs_is_one_set_of_weights(hf_model, llama_model):
    """Before, nothing told the two apart from two different models: their fingerprints differ (backend, format),
    and align took ``--eval-placer llamacpp:embedded`` beside the placer ``embedded`` as independent."""
    gguf = hashlib.sha256(embedded_gguf().read_bytes()).hexdigest()
    assert hf_model.fingerprint != llama_model.fingerprint
    assert hf_model.weights_source == llama_model.weights_source == gguf
    opened = Models(given={"embedded": hf_model, "llamacpp:embedded": llama_model})  # behind the response cache
    assert same_weights(opened("embedded"), opened("llamacpp:embedded"))


def test_a_checkpoint_is_known_by_its_content_not_its_folder(tmp_path):
    """The converted checkpoint copied elsewhere is the same weights; one weight changed by 0.01 is not."""
    copy = shutil.copytree(embedded_hf_dir(), tmp_path / "copy")
    assert weights_source(copy) == weights_source(embedded_hf_dir())
    (copy / SOURCE).unlink()  # now known by its weight files
    tensors = load_file(copy / "model.safetensors")
    name = sorted(tensors)[0]
    before = weights_source(copy)
    save_file({**tensors, name: tensors[name] + np.float32(0.01)}, copy / "model.safetensors",
              metadata={"format": "pt"})
    assert weights_source(copy) != before != weights_source(embedded_hf_dir())


def test_poles_placed_by_the_training_placers_weights_are_marked_not_independent(hf_model, llama_model):
    placer = ValuePlacer(llama_model)
    shared = independent_rewards(None, None, ("llamacpp:embedded", placer), ["pole:liberal", "pole:traditional"],
                                 "pole:traditional", None, shares="embedded")
    assert shared.same_weights == shared.names and "the same weights as embedded" in shared.judged_by
    assert "not independent" in shared.judged_by and SAME_WEIGHTS.endswith("not independent")
    other = independent_rewards(None, None, ("llamacpp:embedded", placer), ["pole:liberal", "pole:traditional"],
                                "pole:traditional", None)
    assert other.same_weights == [] and "same weights" not in other.judged_by
