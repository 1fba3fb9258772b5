"""Closing the loop: judge whose preferences a model's answers satisfy, with the rewards learned from people.

A floor above the other capabilities, on purpose: align composes them. Its job runs an audit of the base and tuned
models (``audit.run_audit``) and tunes toward a ``learn`` run's rewards (``estimators.reward``); these are whole
runs and fitted rewards of those capabilities, not pieces that two capabilities share, so they stay where they are
and align imports them. What align shares with others (the samplers, the value placer) lives in ``candidates``."""
