"""Closing the loop: judge whose preferences a model's answers satisfy, with the rewards learned from people.

On the capabilities' floor, importing none of them: its job runs an audit of the base and tuned models through the
job registry (``jobs.job("audit")``: its ``config`` and ``run``), reads a learn run's settings the same way
(``eval_rewards.py``), and scores and tunes with what the capabilities share below them: the learned rewards and their
refits (``estimators``), value maps and Overton coverage (``valuemaps``), the samplers and the value placer
(``candidates``)."""
