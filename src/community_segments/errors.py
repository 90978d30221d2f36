"""One root error class; subclasses carry what the caller needs to explain the problem."""

from __future__ import annotations


class SegmentsError(Exception):
    """Root of every error this package raises on purpose."""


class CriteriaError(SegmentsError):
    """Criteria that do not validate. ``errors`` maps a rule path to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return "; ".join(f"{path}: {msg}" if path else msg
                         for path, msgs in self.errors.items() for msg in msgs)


class EvaluationError(CriteriaError):
    """Criteria that validate, but that the database could not evaluate (a plugin field's
    SQL it refuses, a value stored before today's checks). Keyed ``criteria``."""

    def __init__(self, message: str):
        super().__init__({"criteria": [message]})


class ValidationError(SegmentsError):
    """Bad input outside the criteria (title, group, page...). ``errors`` maps field to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {m}" for k, ms in errors.items() for m in ms))


class NotFound(SegmentsError):
    """A segment, group or audience that does not exist."""


class MissingGroup(NotFound):
    """A group named by a change (create, update, move) that does not exist.

    The URL was fine, the input was not: the API answers 422 keyed by ``group``.
    """

    @property
    def errors(self) -> dict[str, list[str]]:
        return {"group": [str(self)]}


class Conflict(SegmentsError):
    """A save over a newer version of the same segment (optimistic locking)."""

    def __init__(self, message: str, current_version: int | None = None):
        self.current_version = current_version
        super().__init__(message)


class DuplicateFieldError(SegmentsError):
    """Two providers claim the same field key."""


class FieldDefinitionError(SegmentsError, ValueError):
    """A plugin defined a field that cannot work (e.g. a ``Related`` that joins nothing).

    Raised while the fields are gathered, so the host stops at start-up with the reason
    instead of answering wrong counts later.
    """


class PluginError(SegmentsError):
    """A plugin that cannot be loaded as written (e.g. a misspelled hook implementation)."""


class UnknownAudience(NotFound, LookupError):
    """``campaigns.resolve-audience`` for a ``segment:`` id that does not exist.

    Also a :class:`LookupError`, so a campaign module that imports nothing of this
    package can ``except LookupError``.
    """


class QueryTimeout(SegmentsError):
    """A segment query ran past the configured statement timeout."""

    def __init__(self, message: str, seconds: float | None = None):
        self.seconds = seconds
        super().__init__(message)


class InUse(Conflict):
    """A segment that other segments or campaigns use; ``uses`` says which."""

    def __init__(self, message: str, uses: list[str]):
        self.uses = uses
        super().__init__(message)
