"""Errors a user can fix. The CLI prints them without a traceback and exits non-zero."""


class UserError(Exception):
    """A problem with the user's input (parameters, extract, paths), explained in plain words."""

    exit_code = 1


class ValidationFailed(UserError):
    """The extract has validation errors; the report has already been written and printed."""
