"""The project's error for bad input: what the command line prints as one line, with exit code 2.

Whatever a user hands pluralign (a data file, an option, a policy, a study, a run directory, a model spec) is checked
where it is read, and a problem raises ``InputError`` or one of its kinds (``DatasetError``, ``PolicyError``,
``StudyError``, ``RunError``, ``ModelSpecError``, ...) with a message that names what is wrong and what to do. Any
other exception is a bug in pluralign, and the command line says so (``cli/common.py``)."""


class InputError(ValueError):
    """Bad input from a user; the message names the file (row and column, or line and field) or the option, and
    what to do instead."""
