"""The REST API: everything the web application can do, for national systems.

Authentication is a personal token (``Authorization: Bearer cnc_…``); a read token cannot
change anything. Every list and detail goes through the access policy: what a user may not see
answers 404 and is absent from lists. Lists are cursor-paginated. Errors are RFC 9457 problem
details. Edits that replace a version (a document's text, a procedure's expiry) need ``If-Match``
with the ETag last read: a stale one gets 412, never a lost update.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Router
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from concord.alliance.models import Body, Format, Membership, State
from concord.api import batched
from concord.api import schemas as s
from concord.documents.models import Document, Revision
from concord.domain.errors import DomainError, NotAllowed, NotFound, StaleVersion
from concord.domain.markings import Classification
from concord.domain.procedures import Kind, PositionKind
from concord.domain.references import Reference
from concord.domain.texts import search_words
from concord.notifications.models import Notification
from concord.services import access, audit, common, documents, notifications, presenting, security
from concord.services import procedures as procedure_service
from concord.services import tokens as token_service

STATUS = {
    "not_found": 404,
    "invalid": 422,
    "forbidden": 403,
    "conflict": 409,
    "deadline_passed": 409,
    "precondition_failed": 412,
    "refused": 400,
}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_service.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found
        access.log_read(
            found.user,
            "api",
            f"token:{found.pk} {request.method} {request.path}",
            None,
            action="token_used",
        )
        return found


class TokenRateThrottle(AuthRateThrottle):
    """Requests per token, at the rate the settings name (read at each request): a token bucket
    of N requests that refills at N per period, kept in the cache as two numbers, so that a
    busy token costs the same as an idle one (the sliding log it replaces grew with the rate)."""

    def allow_request(self, request: HttpRequest) -> bool:
        if getattr(request, "scope", {}).get(batched.COUNTED):
            return True  # counted by the batching desk, which passed the request on
        self.waiting = self.take(request, 1)[1]
        return self.waiting is None

    def take(self, request: Any, count: int) -> tuple[int, float | None]:
        """Take up to ``count`` requests from the token's bucket: how many it allowed and, if
        not all, the seconds until the next one would be."""
        limit, period = self.parse_rate(settings.CONCORD_API_RATE)
        if not limit or not period:
            return count, None
        key = self.get_cache_key(request).replace("throttle_", "throttle_bucket_", 1)
        now = time.time()  # wall clock: comparable between processes sharing a cache
        level, since = self.cache.get(key, (float(limit), now))
        level = min(float(limit), level + max(0.0, now - since) * limit / period)
        allowed = max(0, min(count, int(level)))
        level -= allowed
        self.cache.set(key, (level, now), period)
        if allowed == count:
            return allowed, None
        return allowed, (1.0 - level) * period / limit

    def wait(self) -> float | None:
        return getattr(self, "waiting", None)


class ConcordAPI(NinjaAPI):
    """The schema says what the API really sends: errors as ``application/problem+json``, and
    401 (token), 422 (input) and 429 (throttle) possible on every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for code, text in (
                    ("401", "Unauthorized"),
                    ("422", "Unprocessable content"),
                    ("429", "Too many requests"),
                ):
                    responses.setdefault(
                        code,
                        {"description": text, "content": {"application/problem+json": problem}},
                    )
                for code, response in responses.items():
                    content = response.get("content", {})
                    if code[0] in "45" and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema


api = ConcordAPI(
    title="Concord API",
    version="1",
    description=(__doc__ or "").strip(),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
)


def problem(request: HttpRequest, status: int, detail: str, code: str = "") -> HttpResponse:
    response = api.create_response(
        request,
        {
            "type": "about:blank",
            "title": TITLES.get(status, "Error"),
            "status": status,
            "detail": detail,
            "code": code,
        },
        status=status,
    )
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = STATUS.get(exc.code, 400)
    if isinstance(exc, NotAllowed):
        security.refused(request.user, channel="api", subject=request.path, reason=str(exc))
    return problem(request, status, str(exc), exc.code)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = "; ".join(
        f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors
    )
    return problem(request, 422, details or "invalid input", "invalid")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        request, 401, "a valid API token is needed (Authorization: Bearer …)", "unauthenticated"
    )
    response["WWW-Authenticate"] = 'Bearer realm="concord"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, str(exc) or "not found", "not_found")


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = problem(request, 429, "too many requests for this token: slow down", "throttled")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc), "")


def _write(request: HttpRequest) -> None:
    token = getattr(request, "api_token", None)
    if token is None or token.scope != "write":
        security.refused(
            request.user, channel="api", subject=request.path, reason="read-only token"
        )
        raise HttpError(403, "this token may only read: create a token with the write scope")


# -- pagination ---------------------------------------------------------------------------------


def _cursor_value(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
        if not value.isdecimal():
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(422, "the cursor is not one this API gave") from None


def _page(qs: QuerySet, cursor: str | None, limit: int, render, key: str = "pk") -> dict[str, Any]:
    """Keyset pagination, newest first: the cursor is the key of the last item seen."""
    after = _cursor_value(cursor)
    if after is not None:
        qs = qs.filter(**{f"{key}__lt": after})
    rows = list(qs.order_by(f"-{key}")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = getattr(rows[-1], key) if rows and more else None
    nxt = base64.urlsafe_b64encode(str(last).encode()).decode().rstrip("=") if last else None
    return {"items": [render(r) for r in rows], "next_cursor": nxt}


class PageParams(s.Schema):
    cursor: str | None = None
    limit: int = s.Field(50, ge=1, le=200)


# -- reference data -----------------------------------------------------------------------------

alliance = Router(tags=["alliance"])


def _state(x: State) -> dict[str, Any]:
    return {
        "iso3": x.iso3,
        "name_en": x.name_en,
        "name_fr": x.name_fr,
        "population_millions": str(x.population_millions),
    }


@alliance.get("/states", response=list[s.StateOut])
def list_states(request: HttpRequest):
    return [_state(x) for x in State.objects.all()]


@alliance.get("/states/{iso3}", response={200: s.StateOut, 404: s.Problem})
def get_state(request: HttpRequest, iso3: str):
    return _state(common.state(iso3))


@alliance.get("/memberships", response=list[s.MembershipOut])
def list_memberships(request: HttpRequest, state: str | None = None):
    qs = Membership.objects.all()
    if state:
        qs = qs.filter(state_id=state.upper())
    return [{"state": m.state_id, "kind": m.kind, "since": m.since, "until": m.until} for m in qs]


def _body(b: Body) -> dict[str, Any]:
    members = [x.iso3 for x in b.member_states.all()]
    return {
        "code": b.code,
        "name": b.name,
        "name_fr": b.name_fr,
        "kind": b.kind,
        "parent": b.parent.code if b.parent else None,
        "chair": b.chair.username if b.chair else None,
        "seat_timezone": b.seat_timezone,
        "rule": b.decision_rule().to_data(),
        "minimum_silence_seconds": int(b.minimum_silence.total_seconds()),
        "ministerial_objections": b.ministerial_objections,
        "coalitions_within": b.coalitions_within,
        "delegated_authority": b.delegated_authority,
        "members": members or None,
        "formats": [
            {
                "code": f.code,
                "name": f.name,
                "name_fr": f.name_fr,
                "partners": [x.iso3 for x in f.partners.all()],
            }
            for f in b.formats.all()
        ],
    }


def _bodies() -> QuerySet:
    return Body.objects.select_related("chair", "parent").prefetch_related(
        "member_states", "formats__partners"
    )


@alliance.get("/bodies", response=list[s.BodyOut])
def list_bodies(request: HttpRequest):
    return [_body(b) for b in _bodies()]


@alliance.get("/bodies/{code}", response={200: s.BodyOut, 404: s.Problem})
def get_body(request: HttpRequest, code: str):
    body = _bodies().filter(code=code.upper()).first()
    if body is None:
        raise NotFound("unknown body {body!r}", body=code)
    return _body(body)


# -- documents ----------------------------------------------------------------------------------

docs = Router(tags=["documents"])


def _document(d: Document) -> dict[str, Any]:
    revisions = list(d.revisions.all())
    return {
        "reference": str(d.reference),
        "title": d.title,
        "title_fr": d.title_fr,
        "classification": Classification(d.classification).name,
        "marking": d.marking().banner,
        "releasable_to": sorted(x.iso3 for x in d.releasable_to.all()),
        "body": d.body.code,
        "latest_revision": max((r.number for r in revisions), default=0),
        "created_at": d.created_at,
    }


def _revision(request: HttpRequest, d: Document, r: Revision) -> dict[str, Any]:
    out = []
    for para, visible in access.visible_paragraphs(request.user, d, r.paragraphs.all()):
        level = Classification(
            para.classification if para.classification is not None else d.classification
        )
        out.append(
            {
                "number": para.number,
                "marking": level.label,
                "withheld": not visible,
                "text": para.text if visible else "",
                "text_fr": para.text_fr if visible else "",
            }
        )
    return {
        "reference": r.reference,
        "number": r.number,
        "note": r.note,
        "created_at": r.created_at,
        "paragraphs": out,
    }


def _documents(request: HttpRequest) -> QuerySet:
    return (
        access.documents(request.user)
        .select_related("series", "body")
        .prefetch_related("releasable_to", "revisions")
    )


def _visible_document(request: HttpRequest, ref: str) -> tuple[Document, int | None]:
    try:
        reference, rev = Reference.parse(ref)
    except ValueError:
        raise Http404("no such document") from None
    d = (
        _documents(request)
        .filter(series__code=reference.series, year=reference.year, number=reference.number)
        .first()
    )
    if d is None:
        raise Http404("no such document")
    return d, rev


def _etag(d: Document) -> str:
    return f'"d{d.pk}-r{max((r.number for r in d.revisions.all()), default=0)}"'


@docs.get("/documents", response=s.page_of(s.DocumentOut))
def list_documents(request: HttpRequest, page: Query[PageParams], q: str = ""):
    qs = _documents(request)
    for word in q.split()[:10]:
        qs = qs.filter(title__icontains=word)
    return _page(qs, page.cursor, page.limit, _document)


@docs.get("/documents/{ref}", response={200: s.DocumentDetailOut, 404: s.Problem})
def get_document(request: HttpRequest, ref: str, response: HttpResponse):
    d, rev = _visible_document(request, ref)
    revisions = {r.number: r for r in d.revisions.all()}
    chosen = revisions.get(rev if rev is not None else max(revisions))
    if chosen is None:
        raise Http404("no such revision")
    access.log_read(request.user, "api", f"document:{chosen.reference}", d.classification)
    response["ETag"] = _etag(d)
    return {**_document(d), "revision": _revision(request, d, chosen)}


@docs.post(
    "/documents",
    response={201: s.DocumentDetailOut, 403: s.Problem, 404: s.Problem, 422: s.Problem},
)
def create_document(request: HttpRequest, data: s.DocumentIn):
    _write(request)
    revision = documents.register(
        by=request.user,
        body=common.body(data.body),
        series_code=data.series.strip().upper(),
        title=data.title,
        title_fr=data.title_fr,
        classification=Classification[data.classification],
        releasable_to=data.releasable_to,
        paragraphs=[(p.text, p.text_fr) for p in data.paragraphs],
    )
    d = _documents(request).filter(pk=revision.document_id).first()
    if d is None:  # registered, but above what this session may read
        raise Http404("registered, but not visible to you")
    return Status(201, {**_document(d), "revision": _revision(request, d, revision)})


@docs.put(
    "/documents/{ref}/text",
    response={
        201: s.DocumentDetailOut,
        403: s.Problem,
        404: s.Problem,
        412: s.Problem,
        422: s.Problem,
        428: s.Problem,
    },
)
def revise_document(request: HttpRequest, ref: str, data: s.TextIn, response: HttpResponse):
    """Issue the next revision. Send ``If-Match`` with the document's ETag."""
    _write(request)
    d, _rev = _visible_document(request, ref)
    expected = _if_match(request, prefix=f"d{d.pk}-r")
    if expected is None:
        raise StaleVersion("the ETag does not belong to this document: reload it")
    revision = documents.revise(
        by=request.user,
        document=d,
        note=data.note,
        paragraphs=[(p.text, p.text_fr) for p in data.paragraphs],
        expected_revision=expected,
    )
    d = _documents(request).get(pk=d.pk)
    response["ETag"] = _etag(d)
    return Status(201, {**_document(d), "revision": _revision(request, d, revision)})


def _if_match(request: HttpRequest, prefix: str) -> int | None:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise HttpError(428, "send If-Match with the ETag you last read")
    value = header.removeprefix("W/").strip('"')
    if not value.startswith(prefix) or not value[len(prefix) :].isdecimal():
        return None
    return int(value[len(prefix) :])


# -- procedures ---------------------------------------------------------------------------------

procs = Router(tags=["procedures"])


def _visible_procedure(request: HttpRequest, pk: int):
    p = procedure_service.with_history(access.procedures(request.user).filter(pk=pk)).first()
    if p is None:
        raise Http404("no such procedure")
    return p


def _check_visible_procedure(request: HttpRequest, pk: int) -> None:
    """404 unless the caller may see the procedure (a write needs no more than this: the
    service loads and locks the procedure itself)."""
    if not access.procedures(request.user).filter(pk=pk).exists():
        raise Http404("no such procedure")


def _procedure_detail(request: HttpRequest, p, response: HttpResponse | None = None):
    version = procedure_service.version(p.pk)
    if response is not None:
        response["ETag"] = f'"p{p.pk}-v{version}"'
    return {**presenting.detail(p, procedure_service.evaluate(p)), "version": version}


@procs.get("/procedures", response=s.page_of(s.ProcedureOut))
def list_procedures(request: HttpRequest, page: Query[PageParams], running: bool | None = None):
    qs = access.procedures(request.user)
    states = ["open", "awaiting_confirmation"]
    if running is True:
        qs = qs.filter(state__in=states)
    elif running is False:
        qs = qs.exclude(state__in=states)
    result = _page(procedure_service.with_history(qs), page.cursor, page.limit, lambda p: p)
    result["items"] = [
        presenting.summary(p, procedure_service.evaluate(p)) for p in result["items"]
    ]
    return result


@procs.get("/procedures/{pk}", response={200: s.ProcedureDetailOut, 404: s.Problem})
def get_procedure(request: HttpRequest, pk: int, response: HttpResponse):
    p = _visible_procedure(request, pk)
    if p.revision is not None:
        access.log_read(
            request.user, "api", f"procedure:{p.pk}", p.revision.document.classification
        )
    return _procedure_detail(request, p, response)


@procs.post(
    "/procedures",
    response={
        201: s.ProcedureDetailOut,
        403: s.Problem,
        404: s.Problem,
        409: s.Problem,
        422: s.Problem,
    },
)
def open_procedure(request: HttpRequest, data: s.ProcedureIn, response: HttpResponse):
    _write(request)
    body = common.body(data.body)
    revision = None
    if data.document:
        d, rev = _visible_document(request, data.document)
        revision = documents.revision_by_reference(
            d.reference.revision(rev) if rev is not None else str(d.reference)
        )
    fmt = None
    if data.format:
        fmt = Format.objects.filter(code=data.format.upper(), body=body).first()
        if fmt is None:
            raise NotFound("unknown format {format!r}", format=data.format)
    p = procedure_service.open_procedure(
        by=request.user,
        kind=Kind(data.kind),
        body=body,
        revision=revision,
        expires_at=data.expires_at,
        title=data.title,
        format=fmt,
    )
    return Status(201, _procedure_detail(request, p, response))


@procs.post(
    "/procedures/{pk}/positions",
    response={
        201: s.ProcedureDetailOut | s.PositionFiledOut,
        403: s.Problem,
        404: s.Problem,
        409: s.Problem,
        422: s.Problem,
    },
)
def file_position(request: HttpRequest, pk: int, data: s.PositionIn, response: HttpResponse):
    _write(request)
    _check_visible_procedure(request, pk)
    p = procedure_service.file_position(
        procedure_id=pk,
        by=request.user,
        state=data.state,
        kind=PositionKind(data.kind),
        statement=data.statement,
        paragraph=data.paragraph,
        grounds=data.grounds,
    )
    if batched.wants_minimal(request.headers.get("Prefer", "").encode("latin-1")):
        return Status(201, _position_filed(p, response))
    return Status(201, _procedure_detail(request, p, response))


def _position_filed(p, response: HttpResponse) -> dict[str, Any]:
    """``Prefer: return=minimal``: what the batching desk answers, from the full path."""
    version = procedure_service.version(p.pk)
    position = max(p.positions.all(), key=lambda x: x.pk)  # just filed, under the row lock
    ev = procedure_service.evaluate(p)
    response["ETag"] = f'"p{p.pk}-v{version}"'
    response["Location"] = f"/api/procedures/{p.pk}"
    response["Preference-Applied"] = "return=minimal"
    return {
        "id": p.pk,
        "position": position.pk,
        "state": ev.state.value,
        "pending": list(ev.pending),
        "version": version,
    }


@procs.patch(
    "/procedures/{pk}",
    response={
        200: s.ProcedureDetailOut,
        403: s.Problem,
        404: s.Problem,
        409: s.Problem,
        412: s.Problem,
        422: s.Problem,
        428: s.Problem,
    },
)
def extend_procedure(request: HttpRequest, pk: int, data: s.ExtendIn, response: HttpResponse):
    """Move the expiry later (chair). Send ``If-Match`` with the procedure's ETag."""
    _write(request)
    _check_visible_procedure(request, pk)
    expected = _if_match(request, prefix=f"p{pk}-v")
    if expected is None:
        raise StaleVersion("the ETag does not belong to this procedure: reload it")
    p = procedure_service.extend(
        procedure_id=pk, by=request.user, expires_at=data.expires_at, expected_version=expected
    )
    return _procedure_detail(request, p, response)


@procs.post(
    "/procedures/{pk}/withdraw",
    response={200: s.ProcedureDetailOut, 403: s.Problem, 404: s.Problem, 409: s.Problem},
)
def withdraw_procedure(request: HttpRequest, pk: int, response: HttpResponse):
    _write(request)
    _check_visible_procedure(request, pk)
    p = procedure_service.withdraw(procedure_id=pk, by=request.user)
    return _procedure_detail(request, p, response)


@procs.post(
    "/procedures/{pk}/conclude",
    response={200: s.ProcedureDetailOut, 403: s.Problem, 404: s.Problem, 409: s.Problem},
)
def conclude_procedure(request: HttpRequest, pk: int, response: HttpResponse):
    _write(request)
    _check_visible_procedure(request, pk)
    p = procedure_service.conclude(procedure_id=pk, by=request.user)
    return _procedure_detail(request, p, response)


# -- decisions, notifications, audit, tokens ----------------------------------------------------

records = Router(tags=["records"])


def _decision(x) -> dict[str, Any]:
    return {
        "number": x.number,
        "procedure": x.procedure_id,
        "title": x.procedure.title,
        "body": x.procedure.body.code,
        "reference": x.reference,
        "text_sha256": x.text_sha256,
        "adopted_at": x.adopted_at,
        "bound": x.bound,
        "standing_aside": x.standing_aside,
        "footnotes": x.footnotes,
        "statements": x.statements,
        "timeline": x.timeline,
    }


@records.get("/decisions", response=s.page_of(s.DecisionOut))
def list_decisions(
    request: HttpRequest,
    page: Query[PageParams],
    q: str = "",
    body: str = "",
    year: int | None = Query(None, ge=1, le=9999),
):
    qs = access.decisions(request.user).select_related("procedure__body")
    for word in search_words(q).split()[:10]:
        qs = qs.filter(search_text__contains=word)
    if body:
        qs = qs.filter(procedure__body__code=body.upper())
    if year is not None:
        qs = qs.filter(adopted_at__year=year)
    return _page(qs, page.cursor, page.limit, _decision)


@records.get("/decisions/{number}", response={200: s.DecisionOut, 404: s.Problem})
def get_decision(request: HttpRequest, number: str):
    x = (
        access.decisions(request.user)
        .select_related("procedure__body", "procedure__revision__document")
        .filter(number=number)
        .first()
    )
    if x is None:
        raise Http404("no such decision")
    if x.procedure.revision is not None:
        access.log_read(
            request.user,
            "api",
            f"decision:{x.number}",
            x.procedure.revision.document.classification,
        )
    return _decision(x)


def _notification(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "procedure": n.procedure_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@records.get("/notifications", response=s.page_of(s.NotificationOut))
def list_notifications(request: HttpRequest, page: Query[PageParams], unread: bool = False):
    qs = Notification.objects.filter(user=request.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return _page(qs, page.cursor, page.limit, _notification)


@records.post("/notifications/read", response={200: s.CountOut, 403: s.Problem})
def read_notifications(request: HttpRequest, data: s.ReadIn):
    _write(request)
    return {"count": notifications.mark_read(request.user, data.ids)}


@records.get("/audit/verify", response={200: s.VerifyOut, 403: s.Problem})
def verify_audit(request: HttpRequest):
    if request.user.role not in ("auditor", "administrator"):
        security.refused(request.user, channel="api", subject=request.path, reason="not an auditor")
        raise HttpError(403, "only auditors and administrators verify the audit chain")
    result = audit.verify()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
    }


account = Router(tags=["tokens"])


def _token(t) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "scope": t.scope,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
    }


@account.get("/tokens", response=list[s.TokenOut])
def list_tokens(request: HttpRequest):
    return [_token(t) for t in token_service.of(request.user)]


@account.post("/tokens", response={201: s.TokenCreatedOut, 403: s.Problem, 422: s.Problem})
def create_token(request: HttpRequest, data: s.TokenIn):
    _write(request)
    plain, token = token_service.create(
        user=request.user, scope=data.scope, days=data.days, name=data.name
    )
    return Status(201, {**_token(token), "token": plain})


@account.delete("/tokens/{token_id}", response={200: s.TokenOut, 403: s.Problem, 404: s.Problem})
def revoke_token(request: HttpRequest, token_id: int):
    _write(request)
    return _token(token_service.revoke(user=request.user, token_id=token_id))


from concord.api import policy as _policy  # noqa: E402  (it uses the helpers above)
from concord.api import texts as _texts  # noqa: E402  (it uses the helpers above)

for router in (alliance, _texts.router, docs, procs, records, _policy.router, account):
    api.add_router("", router)
