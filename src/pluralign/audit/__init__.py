"""How a model answers value-laden statements across languages, countries and topics (CIVICS / OpinionQA style)."""

from .core import opinion_alignment, stance_label, stance_measures, statement_items
from .job import STAGES, AuditConfig, run_audit
from .prompts import PROMPTS, refusal_match
from .results import audit_metrics, audit_tables, write_results

__all__ = [
    "PROMPTS", "STAGES", "AuditConfig", "audit_metrics", "audit_tables", "opinion_alignment", "refusal_match",
    "run_audit", "stance_label", "stance_measures", "statement_items", "write_results",
]
