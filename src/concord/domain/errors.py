"""Named errors of the domain. Adapters map them to exit codes and HTTP statuses."""


class DomainError(Exception):
    """Base of every refusal the rules make; the message is meant for the user."""

    code = "refused"


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid"


class NotAllowed(DomainError):
    """The actor lacks the role or authority for this action."""

    code = "forbidden"


class IllegalTransition(DomainError):
    """The procedure's state does not allow this action."""

    code = "conflict"


class DeadlinePassed(IllegalTransition):
    """The action came at or after the procedure's expiry instant."""

    code = "deadline_passed"
