"""Language models behind one interface: score and generate, batched inside each backend."""

from .base import GenerateRequest, LanguageModel, Message, ModelError, ModelSpecError, Prompt, ScoreRequest
from .spec import SPEC_HELP, ModelSpec, load, parse_spec

__all__ = [
    "SPEC_HELP", "GenerateRequest", "LanguageModel", "Message", "ModelError", "ModelSpec", "ModelSpecError", "Prompt",
    "ScoreRequest", "load", "parse_spec",
]
