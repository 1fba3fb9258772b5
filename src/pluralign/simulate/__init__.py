"""Synthetic annotator populations with known ground truth, to check that a method recovers what is there."""

from .population import Population, simulate_population

__all__ = ["Population", "simulate_population"]
