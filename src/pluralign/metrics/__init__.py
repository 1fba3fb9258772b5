"""Disaggregated metrics with uncertainty; many metrics kept apart, never collapsed into one score."""

from .checks import CHECKS, Check, check_results, check_row, degenerate, fired, only_fired
from .frame import MetricFrame, disaggregate
from .registry import REGISTRY, Metric, metric_info, register, registry_table
from .store import COLUMNS, read_metrics, select, write_metrics

__all__ = ["CHECKS", "COLUMNS", "REGISTRY", "Check", "Metric", "MetricFrame", "check_results", "check_row", "degenerate",
           "disaggregate", "fired", "metric_info", "only_fired", "read_metrics", "register", "registry_table", "select",
           "write_metrics"]
