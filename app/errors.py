"""The one exception services raise for a rule a user broke; routes show its message."""


class DomainError(Exception):
    """A business rule refused the action; `message` is shown to the user as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
