"""Errors a user can fix. The CLI prints them without a traceback and exits non-zero."""


class UserError(Exception):
    """A problem with the user's input (parameters, extract, paths), explained in plain words."""

    exit_code = 1


class ValidationFailed(UserError):
    """The extract has validation errors: the message summarises them, `problems` holds every one (for the full
    report, which the caller writes into its own output folder)."""

    def __init__(self, message: str, problems=None):
        super().__init__(message)
        self.problems = problems
