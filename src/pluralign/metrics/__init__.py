"""Disaggregated metrics with uncertainty; many metrics kept apart, never collapsed into one score."""

from .frame import MetricFrame, disaggregate

__all__ = ["MetricFrame", "disaggregate"]
