"""Typed tables and their loaders: statements, situations, survey questions, comparisons, and the built-in suites;
``*_from`` read any of them from one source string (``builtin``, ``civics:FILE``, ``ca:FILE``, a FILE, ...)."""

from .builtin import (builtin_overton, builtin_prompts, builtin_situations, builtin_stances, builtin_statements,
                      builtin_survey, builtin_value_poles)
from .cards import DataCard, card, card_of, data_cards, read_cards, training_warning
from .choices import Choices
from .civics import load_civics
from .comparisons import (load_community_alignment, load_comparisons, load_trl_pairwise, to_community_alignment,
                          to_trl_pairwise)
from .opinions import load_global_opinions, load_opinionqa, load_survey
from .prism import load_prism, load_prism_survey
from .schema import (PROMPT_COLUMNS, SITUATION_COLUMNS, STATEMENT_COLUMNS, SURVEY_COLUMNS, DatasetError, language_code,
                     left_out, validate)
from .sources import (DataSource, comparisons_from, parse_source, prompts_from, situations_from, source_card,
                      statements_from, survey_from, valueprism_from, warn_left_out)
from .tables import load_prompts, load_situations, load_statements, read_table
from .valueprism import load_valueprism

__all__ = [
    "Choices", "DataCard", "DataSource", "DatasetError", "PROMPT_COLUMNS", "SITUATION_COLUMNS", "STATEMENT_COLUMNS", "SURVEY_COLUMNS", "builtin_prompts",
    "builtin_overton", "builtin_situations", "builtin_stances", "builtin_statements", "builtin_survey", "builtin_value_poles",
    "card", "card_of", "comparisons_from", "data_cards", "language_code", "left_out", "load_civics",
    "load_community_alignment", "load_comparisons", "load_global_opinions", "load_opinionqa", "load_prism", "load_prism_survey", "load_prompts", "load_situations",
    "load_statements", "load_survey", "load_trl_pairwise", "load_valueprism", "parse_source", "prompts_from", "read_cards", "read_table",
    "situations_from", "source_card", "statements_from", "survey_from", "to_community_alignment", "to_trl_pairwise",
    "training_warning", "validate",
    "valueprism_from", "warn_left_out",
]
