"""Errors shown to the user as one line (the CLI prints ``xxgk: error: …``)."""


class XxgkError(Exception):
    """An expected failure with a message for a person; exit code 2 unless set."""

    exit_code = 2


class BuildError(XxgkError):
    exit_code = 3
