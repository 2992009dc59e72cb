"""Errors shown to the user as one line (the CLI prints ``xxgk: error: …``), and the exit codes of every command.

One table for all commands (documented in README.md, "Command line"; a test keeps the two in step):
"""

EXIT_OK = 0  # done
EXIT_FINDINGS = 1  # done, and findings were found where the caller asked for none (--strict, score's --min-exact)
EXIT_USAGE = 2  # the command cannot run as given: unknown command or option, bad value, missing home,
# warehouse or file, a query that is not allowed or fails, an empty lake without --allow-empty
EXIT_FAILED = 3  # the work failed (a build, a notebook, writing the home); the previous warehouse is kept
EXIT_PARTIAL = 4  # done in part: files were quarantined, downloads failed
EXIT_LOCKED = 5  # another writer holds the home's lock, or another program holds the warehouse open for writing
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM

EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_FINDINGS: "findings: error-severity findings under `--strict` (`check`), or cells below `--min-exact` (`score`)",
    EXIT_USAGE: "usage: unknown command, option or value; missing home, warehouse or file; a refused or failing query; "
    "an empty lake without `--allow-empty`",
    EXIT_FAILED: "failed: a build, notebook or write to the home failed; the previous warehouse is kept",
    EXIT_PARTIAL: "partial: done, but files were quarantined (`ingest`, `refresh`) or downloads failed (`fetch`, `refresh`)",
    EXIT_LOCKED: "locked: another refresh, ingest, build or fetch holds the home, or another program holds the "
    "warehouse open for writing; nothing was done",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGTERM)",
}


class XxgkError(Exception):
    """An expected failure with a message for a person; exit code 2 (usage) unless set."""

    exit_code = EXIT_USAGE


class BuildError(XxgkError):
    exit_code = EXIT_FAILED


class StorageError(XxgkError):
    """The home cannot be written (disk full, read-only, no permission): nothing unfinished is visible."""

    exit_code = EXIT_FAILED


def storage_error(exc: OSError) -> StorageError | None:
    """The one-line error for an OSError writing the home; None for other errors."""
    import errno

    where = exc.filename if isinstance(exc.filename, str) else "the home"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageError(
            f"disk full: {exc.strerror} writing {where}; the unfinished batch is not visible "
            f"and is cleared by the next run (free space and run again)"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"cannot write the home: {exc.strerror}: {where}")
    return None
