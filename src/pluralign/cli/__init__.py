"""The pluralign command line: ``app.py`` holds the typer app and the shared commands, one small module per
capability its commands, and ``common.py`` the options, the console and the error decorator they share."""
