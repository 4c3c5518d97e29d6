"""The access policy as database filters, so that lists and counts never include what a reader
may not see. ``concord.domain.access`` is the rule; these filters must agree with it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from concord.alliance.models import Body, Format, Membership, User
from concord.documents.models import Document
from concord.domain.access import SERVES_EVERY_BODY, Item, Reader, may_read
from concord.domain.alliance import MembershipKind, Role
from concord.domain.markings import Classification
from concord.procedures.models import Participant, Procedure
from concord.records.models import Decision


def reader_of(user: User, today: date | None = None, verified: bool | None = None) -> Reader:
    """The reader a user is now. Without a second factor in this session, the reader reaches only
    up to ``CONCORD_SECOND_FACTOR_ABOVE``."""
    from django.utils import timezone

    memberships = (
        [m.to_domain() for m in Membership.objects.filter(state_id=user.state_id)]
        if user.state_id
        else []
    )
    if verified is None:
        is_verified = getattr(user, "is_verified", None)
        verified = bool(is_verified()) if callable(is_verified) else True
    return reader_from(user, memberships, today or timezone.now().date(), verified)


def reader_from(user: User, memberships: Iterable[Any], day: date, verified: bool) -> Reader:
    """The reader ``user`` is on ``day``, given its state's memberships (domain objects) and
    whether this session has its second factor: no query."""
    from django.conf import settings

    member = partner = False
    for m in memberships:
        if m.valid_on(day):
            member |= m.kind == MembershipKind.MEMBER
            partner |= m.kind == MembershipKind.PARTNER
    return Reader(
        username=user.username,
        role=Role(user.role) if user.role else Role.ADMINISTRATOR,
        clearance=Classification(user.clearance),
        state=user.state_id,
        state_is_member=member,
        state_is_partner=partner and not member,
        max_level=(
            Classification.COSMIC_TOP_SECRET
            if verified
            else Classification(settings.CONCORD_SECOND_FACTOR_ABOVE)
        ),
    )


def document_filter(reader: Reader, prefix: str = "") -> Q:
    """A filter on documents (``prefix`` leads to a document from another model)."""
    f = (lambda name: f"{prefix}{name}") if prefix else (lambda name: name)
    public = Q(**{f("classification"): Classification.PUBLIC})
    reachable = Q(**{f("classification__lte"): int(reader.max_level)})
    clearance = Q(**{f("classification__lt"): Classification.CONFIDENTIAL}) | Q(
        **{f("classification__lte"): int(reader.clearance)}
    )
    body_ref = OuterRef(f("body_id"))
    if reader.state is None or reader.state_is_member:
        nationality = Q()
    elif reader.state_is_partner:
        nationality = Q(
            Exists(
                Document.releasable_to.through.objects.filter(
                    document_id=OuterRef(f("pk")), state_id=reader.state
                )
            )
        )
    else:
        nationality = Q(pk__in=[])
    listed = Q(
        Exists(
            Document.distribution.through.objects.filter(
                document_id=OuterRef(f("pk")), user__username=reader.username
            )
        )
    )
    if reader.role in SERVES_EVERY_BODY:
        need = Q(pk__isnull=False)  # always true; an empty Q() would vanish from the OR below
    elif reader.state is not None and reader.state_is_member:
        restricted = Body.member_states.through.objects.filter(body_id=body_ref)
        member = Body.member_states.through.objects.filter(body_id=body_ref, state_id=reader.state)
        need = ~Q(Exists(restricted)) | Q(Exists(member))
    elif reader.state is not None and reader.state_is_partner:
        need = Q(Exists(Format.objects.filter(body_id=body_ref, partners=reader.state)))
    else:
        need = Q(pk__in=[])
    return public | (reachable & clearance & nationality & (need | listed))


def documents(user: User) -> QuerySet[Document]:
    return Document.objects.filter(document_filter(reader_of(user)))


def procedures(user: User) -> QuerySet[Procedure]:
    """Procedures about a document the reader may see; document-less items follow the body."""
    return procedures_for(reader_of(user))


def procedures_for(reader: Reader) -> QuerySet[Procedure]:
    visible_docs = Document.objects.filter(document_filter(reader)).values("pk")
    about_doc = Q(revision__document__in=visible_docs)
    no_doc = Q(revision__isnull=True)
    if reader.role not in SERVES_EVERY_BODY:
        if reader.state is None:
            no_doc = Q(pk__in=[])
        else:
            no_doc &= Q(
                Exists(Participant.objects.filter(procedure=OuterRef("pk"), state_id=reader.state))
            )
    return Procedure.objects.filter(about_doc | no_doc)


def decisions(user: User) -> QuerySet[Decision]:
    return Decision.objects.filter(procedure__in=procedures(user).values("pk"))


def item_of(document: Document) -> Item:
    body = document.body
    members = frozenset(body.member_states.values_list("iso3", flat=True)) or None
    partners = frozenset(
        Format.partners.through.objects.filter(format__body=body).values_list("state_id", flat=True)
    )
    return Item(
        level=Classification(document.classification),
        releasable_to=frozenset(document.releasable_to.values_list("iso3", flat=True)),
        body=body.code,
        body_members=members,
        body_partners=partners,
        distribution=frozenset(document.distribution.values_list("username", flat=True)),
    )


def may_read_document(user: User, document: Document) -> bool:
    return may_read(reader_of(user), item_of(document))


def visible_paragraphs(user: User, document: Document, paragraphs) -> list[tuple[object, bool]]:
    """Each paragraph with whether this reader may see it (portion markings)."""
    from concord.domain.access import may_read_portion

    reader, item = reader_of(user), item_of(document)
    return [
        (
            p,
            may_read_portion(
                reader,
                item,
                Classification(p.classification) if p.classification is not None else None,
            ),
        )
        for p in paragraphs
    ]


def log_read(
    user: User, channel: str, subject: str, level: int | None, action: str = "read"
) -> None:
    """Log a read of classified material (RESTRICTED and above), a token use or a refusal."""
    from django.utils import timezone

    from concord.records.models import AccessLog

    if action == "read" and (level is None or level < Classification.RESTRICTED):
        return
    AccessLog.objects.create(
        at=timezone.now(),
        username=getattr(user, "username", "") or "anonymous",
        channel=channel,
        action=action,
        subject=subject[:200],
        level=level,
    )
