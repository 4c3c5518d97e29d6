"""Named errors of the domain. Adapters map them to exit codes and HTTP statuses.

A message is a template with named fields (``"{state} has already broken silence"``) so that an
adapter can translate the template and then fill it in: ``exc.translated(gettext)``. ``str(exc)``
is the English text. Templates are marked with :func:`_` so that the translation tools find them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _(template: str) -> str:
    """Marks a message template for translation; the domain itself never translates."""
    return template


class DomainError(Exception):
    """Base of every refusal the rules make; the message is meant for the user."""

    code = "refused"

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template.format(**params) if params else template)

    def translated(self, gettext: Callable[[str], str]) -> str:
        text = gettext(self.template)
        return text.format(**self.params) if self.params else text


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


class StaleVersion(DomainError):
    """The change was based on a version that has since changed (a lost update averted)."""

    code = "precondition_failed"
