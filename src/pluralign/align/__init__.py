"""Closing the loop: judge whose preferences a model's answers satisfy, with the rewards learned from people."""
