"""A local, read-only web app over a directory of runs (``pluralign view``)."""

from .app import create_app
from .catalog import NotFound, RunsDirectory

__all__ = ["NotFound", "RunsDirectory", "create_app"]
