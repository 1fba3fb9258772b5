"""The path README's Python examples import a learn run's rewards from (``from pluralign.learn.reward import
GroupRewards``): the rewards live below the capabilities, in ``estimators.reward``, since align scores with them too."""

from ..estimators.reward import GroupRewards, trl_pairs

__all__ = ["GroupRewards", "trl_pairs"]
