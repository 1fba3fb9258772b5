"""Collecting choices from people who disagree (`pluralign collect`): a study file (``study.py``), its database
(``store.py``, on the tables of ``data/collection.py``), the worker that writes candidate sets ahead
(``worker.py``), the web app and JSON API (``app.py``, ``pages.py``, ``admin.py``) and exports (``export.py``).
The pure parts (assignment, shown order, agreement, effort flags) are in ``core.py``."""
