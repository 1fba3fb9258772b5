"""pluralign: find out whose values a language model serves, widen them, and learn from people who disagree."""

__version__ = "0.1.0"
