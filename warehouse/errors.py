"""Errors shown to the user as one line (the CLI prints ``xxgk: error: …``)."""


class XxgkError(Exception):
    """An expected failure with a message for a person; exit code 2 unless set."""

    exit_code = 2


class BuildError(XxgkError):
    exit_code = 3


class StorageError(XxgkError):
    """The home cannot be written (disk full, read-only, no permission): nothing unfinished is visible."""

    exit_code = 3


def storage_error(exc: OSError) -> StorageError | None:
    """The one-line error for an OSError writing the home; None for other errors."""
    import errno

    where = exc.filename if isinstance(exc.filename, str) else "the home"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageError(f"disk full: {exc.strerror} writing {where}; the unfinished batch is not visible "
                            f"and is cleared by the next run (free space and run again)")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"cannot write the home: {exc.strerror}: {where}")
    return None
