"""The ``concord`` command. Thin: parse, call one service, print; errors are one line on stderr
and a non-zero exit. ``--json`` prints machine-readable output."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

EXIT_REFUSED = 1
EXIT_USAGE = 2


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        from pathlib import Path

        Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone: add Z or an offset like +01:00"
        )
    return value


def _print(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


# -- commands -------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from concord.services import demo

    call_command("migrate", verbosity=0, interactive=False)
    report = demo.seed()
    _print(report, args.json, demo.describe(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    worker = None
    if args.with_worker:
        # The server may end by re-raising a signal, skipping any clean-up here: the worker
        # watches its parent instead and stops when the server is gone.
        worker = subprocess.Popen(
            [sys.executable, "-m", "concord.cli", "worker", "--parent", str(os.getpid())]
        )
    serving = f"Concord is serving on http://{args.host}:{args.port}/ (Ctrl-C stops it)"
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "log_level": "warning",
        # Requests are not logged line by line (the access log and the audit chain record what
        # matters), and answers do not name the server software.
        "access_log": False,
        "server_header": False,
        "lifespan": "off",
    }
    try:
        if args.workers > 1:  # one listening socket per worker (concord.serving)
            from concord.serving import Balanced

            try:
                supervisor = Balanced(uvicorn.Config("concord.asgi:application", **options))
            except OSError as exc:
                print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
                return 1
            print(serving, flush=True)
            supervisor.run()
            if supervisor.failed:
                print("error: a worker could not start (see above)", file=sys.stderr)
                return 1
        else:
            print(serving, flush=True)
            uvicorn.run("concord.asgi:application", **options)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.db import close_old_connections

    from concord import worker

    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    interval = args.interval if args.interval is not None else settings.CONCORD_WORKER_INTERVAL
    while True:
        close_old_connections()
        done = worker.sweep()
        if done["outcomes"]:
            print(f"recorded {done['outcomes']} outcome(s)", flush=True)
        if args.parent and os.getppid() != args.parent:
            stopping = True
        if args.once or stopping:
            return 0
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, interval))
        if stopping:
            return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from concord.services import audit

    result = audit.verify()
    data = {
        "ok": result.ok,
        "checked": result.checked,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
    }
    if result.ok:
        _print(data, args.json, f"audit chain intact: {result.checked} events verified")
        return 0
    if args.json:
        _print(data, True, "")
    else:
        print(
            f"audit chain broken at sequence {result.first_bad_seq}: {result.reason}",
            file=sys.stderr,
        )
    return 1


def cmd_procedure_list(args: argparse.Namespace) -> int:
    from concord.services import presenting
    from concord.services import procedures as service

    rows = [presenting.summary(p, ev) for p, ev in service.listing(service.with_history())]
    lines = [
        f"{r['id']:>4}  {r['kind']:<9}  {r['body']:<6}  {r['state_label']:<28}  {r['expiry_text']}  {r['title']}"
        for r in rows
    ]
    _print(rows, args.json, "\n".join(lines) or "no procedures")
    return 0


def cmd_procedure_show(args: argparse.Namespace) -> int:
    from concord.services import presenting
    from concord.services import procedures as service

    p = service.get(args.id)
    data = presenting.detail(p, service.evaluate(p))
    _print(data, args.json, presenting.detail_text(data))
    return 0


def _after_change(args: argparse.Namespace, p: Any, verb: str) -> int:
    from concord.services import presenting
    from concord.services import procedures as service

    data = presenting.detail(p, service.evaluate(p))
    _print(
        data,
        args.json,
        f"procedure {p.pk} {verb}: {data['state_label']}; expiry {data['expiry_text']}",
    )
    return 0


def cmd_procedure_open(args: argparse.Namespace) -> int:
    from concord.alliance.models import Format
    from concord.domain.errors import NotFound
    from concord.domain.procedures import Kind
    from concord.services import common, documents
    from concord.services import procedures as service

    body = common.body(args.body)
    revision = documents.revision_by_reference(args.document) if args.document else None
    fmt = None
    if args.format:
        fmt = Format.objects.filter(code=args.format.upper()).first()
        if fmt is None:
            raise NotFound(f"unknown format {args.format!r}")
    p = service.open_procedure(
        by=common.user(args.as_user),
        kind=Kind(args.kind),
        body=body,
        revision=revision,
        expires_at=args.expires,
        title=args.title or "",
        format=fmt,
    )
    return _after_change(args, p, "opened")


def cmd_procedure_break(args: argparse.Namespace) -> int:
    from concord.services import common
    from concord.services import procedures as service

    p = service.break_silence(
        procedure_id=args.id,
        by=common.user(args.as_user),
        state=args.state,
        statement=args.statement,
        grounds="amendment" if args.amendment else "objection",
    )
    return _after_change(args, p, f"silence broken by {args.state.upper()}")


def cmd_procedure_position(args: argparse.Namespace) -> int:
    from concord.domain.procedures import PositionKind
    from concord.services import common
    from concord.services import procedures as service

    p = service.file_position(
        procedure_id=args.id,
        by=common.user(args.as_user),
        state=args.state,
        kind=PositionKind(args.kind),
        statement=args.statement or "",
        paragraph=args.paragraph,
    )
    return _after_change(
        args, p, f"{args.kind.replace('_', ' ')} recorded for {args.state.upper()}"
    )


def cmd_procedure_extend(args: argparse.Namespace) -> int:
    from concord.services import common
    from concord.services import procedures as service

    p = service.extend(procedure_id=args.id, by=common.user(args.as_user), expires_at=args.expires)
    return _after_change(args, p, "extended")


def cmd_procedure_withdraw(args: argparse.Namespace) -> int:
    from concord.services import common
    from concord.services import procedures as service

    p = service.withdraw(procedure_id=args.id, by=common.user(args.as_user))
    return _after_change(args, p, "withdrawn")


def cmd_procedure_conclude(args: argparse.Namespace) -> int:
    from concord.services import common
    from concord.services import procedures as service

    p = service.conclude(procedure_id=args.id, by=common.user(args.as_user))
    return _after_change(args, p, "concluded")


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from concord.services import archive

    with tqdm(total=archive.count(), unit="rows", disable=args.json, file=sys.stderr) as bar:
        summary = archive.export(Path(args.path), progress=bar.update)
    _print(
        summary,
        args.json,
        f"exported {summary['objects']} objects to {args.path}; audit head "
        f"{summary['head_seq']} {summary['head_hash']}",
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from django.core.management import call_command
    from tqdm import tqdm

    from concord.services import archive

    path = Path(args.path)
    if not path.is_file():
        print(f"error: no file {args.path}", file=sys.stderr)
        return EXIT_REFUSED
    call_command("migrate", verbosity=0, interactive=False)
    total = max(sum(1 for _line in path.open(encoding="utf-8")) - 1, 0)
    with tqdm(total=total, unit="rows", disable=args.json, file=sys.stderr) as bar:
        summary = archive.restore(path, progress=bar.update)
    _print(
        summary,
        args.json,
        f"restored {summary['objects']} objects; audit chain verified, head "
        f"{summary['head_seq']} {summary['head_hash']}",
    )
    return 0


def _read_file(path: str, limit: int = 20 * 1024 * 1024) -> bytes:
    from pathlib import Path

    from concord.domain.errors import InvalidInput

    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"no file {path}")
    if file.stat().st_size > limit:
        raise InvalidInput(f"{path} is larger than {limit // (1024 * 1024)} MB")
    return file.read_bytes()


def cmd_document_import(args: argparse.Namespace) -> int:
    from concord.domain.errors import InvalidInput
    from concord.domain.markings import Classification
    from concord.services import common, exports

    try:
        level = Classification.parse(args.classification)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    data = _read_file(args.file)
    french = _read_file(args.french) if args.french else None
    revision = exports.import_docx(
        by=common.user(args.as_user),
        body=common.body(args.body),
        series_code=args.series.strip().upper(),
        data=data,
        french=french,
        title=args.title or "",
        title_fr=args.title_fr or "",
        classification=level,
        releasable_to=[c for c in (args.releasable_to or "").split(",") if c.strip()],
    )
    paragraphs = list(revision.paragraphs.order_by("number"))
    brackets = sum(p.text.count("[") for p in paragraphs)
    _print(
        {
            "reference": revision.reference,
            "title": revision.document.title,
            "paragraphs": len(paragraphs),
            "brackets": brackets,
        },
        args.json,
        f"registered {revision.reference}: {len(paragraphs)} paragraphs, {brackets} brackets",
    )
    return 0


def cmd_document_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from concord.domain.errors import NotFound
    from concord.services import access, common, documents, exports

    revision = documents.revision_by_reference(args.reference)
    if args.revision is not None:
        chosen = revision.document.revisions.filter(number=args.revision).first()
        if chosen is None:
            raise NotFound(f"{revision.document.reference} has no revision {args.revision}")
        revision = chosen
    user = common.user(args.as_user) if args.as_user else None
    if user is not None and not access.may_read_document(user, revision.document):
        raise NotFound(f"no document {args.reference!r}")
    result = exports.revision_export(user, revision, args.format, args.language)
    out = Path(args.out)
    if out.is_dir():
        out = out / result.filename
    out.write_bytes(result.data)
    _print(
        {
            "reference": revision.reference,
            "format": args.format,
            "path": str(out),
            "bytes": len(result.data),
        },
        args.json,
        f"wrote {revision.reference} as {args.format} to {out} ({len(result.data):,} bytes)",
    )
    return 0


def cmd_demo_code(args: argparse.Namespace) -> int:
    from concord.services import demo

    code = demo.demo_code()
    _print({"code": code}, args.json, code)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from concord.services import common, tokens

    plain, token = tokens.create(
        user=common.user(args.user), scope=args.scope, days=args.expires, name=args.name
    )
    data = {
        "id": token.pk,
        "token": plain,
        "scope": token.scope,
        "user": args.user,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }
    _print(
        data,
        args.json,
        f"{plain}\n(token {token.pk} for {args.user}, scope {token.scope}, "
        f"expires {data['expires_at'] or 'never'}; it is shown only now)",
    )
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from concord.services import common, tokens

    rows = [
        {
            "id": t.pk,
            "prefix": t.prefix,
            "name": t.name,
            "scope": t.scope,
            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
            "revoked": t.revoked_at is not None,
        }
        for t in tokens.of(common.user(args.user))
    ]
    text = "\n".join(
        f"{r['id']:>4}  {r['prefix']}…  {r['scope']:<5}  "
        f"{'revoked' if r['revoked'] else 'expires ' + str(r['expires_at'])}  {r['name']}"
        for r in rows
    )
    _print(rows, args.json, text or "no tokens")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from concord.services import common, tokens

    token = tokens.revoke(user=common.user(args.as_user), token_id=args.id)
    _print({"id": token.pk, "revoked": True}, args.json, f"token {token.pk} revoked")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from concord import bench
    from concord.bench.harness import BenchError, render

    names = ("clients", "seconds", "workers", "procedures", "paragraphs", "brackets", "amendments")
    options = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    if args.name == "text":
        unknown = sorted(set(options) - {"paragraphs", "brackets", "amendments"})
    else:
        unknown = sorted(set(options) & {"paragraphs", "brackets", "amendments"})
    if unknown:
        print(f"error: {args.name} takes no --{unknown[0]}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        result = bench.run(args.name, options)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:  # the benchmark has stopped its processes and dropped its database
        print("error: interrupted", file=sys.stderr)
        return 130
    _print({k: v for k, v in result.items() if k != "table"}, args.json, render(result))
    return 0


# -- topics, consultations, options papers and commitments ---------------------------------------


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _day(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-31") from None


def _viewer(args: argparse.Namespace) -> Any:
    from concord.services import common

    return common.user(args.as_user) if getattr(args, "as_user", None) else None


def cmd_topic_list(args: argparse.Namespace) -> int:
    from concord.policy.models import Topic
    from concord.services import policy

    user = _viewer(args)
    qs = policy.topics(user) if user else Topic.objects.select_related("body")
    rows = [
        {
            "code": t.code,
            "title": t.title,
            "body": t.body.code,
            "threats": t.threats,
            "tracks": t.tracks,
            "open_requests": t.requests.filter(closed_at__isnull=True).count(),
        }
        for t in qs.order_by("code")
    ]
    text = "\n".join(
        f"{r['code']:<20}  {r['body']:<5}  {'+'.join(r['tracks']):<30}  {r['title']}"
        + (f"  ({r['open_requests']} open request(s))" if r["open_requests"] else "")
        for r in rows
    )
    _print(rows, args.json, text or "no topics")
    return 0


def cmd_topic_show(args: argparse.Namespace) -> int:
    from concord.services import policy

    user = _viewer(args)
    topic = policy.get_topic(args.code, user)
    data = {
        "code": topic.code,
        "title": topic.title,
        "title_fr": topic.title_fr,
        "body": topic.body.code,
        "threats": topic.threats,
        "tracks": topic.tracks,
        "requests": [
            {
                "id": r.pk,
                "state": r.state_id,
                "grounds": r.grounds,
                "requested_at": r.requested_at.isoformat(),
                "convene_by": r.convene_by.isoformat(),
                "meeting": r.meeting_id,
                "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            }
            for r in topic.requests.all()
        ],
        "measures": [
            {
                "state": m.state_id,
                "description": m.description,
                "effective_on": m.effective_on.isoformat(),
                "notified_at": m.notified_at.isoformat(),
            }
            for m in topic.measures.all()
        ],
        "papers": [{"id": p.pk, "title": p.title} for p in topic.papers.all()],
    }
    lines = [f"{topic.code}: {topic.title} ({topic.body.code}; {', '.join(topic.tracks)})"]
    lines += [
        f"  request {r['id']} by {r['state']} at {r['requested_at']}, meeting #{r['meeting']} by "
        f"{r['convene_by']}{'; closed' if r['closed_at'] else ''}: {r['grounds']}"
        for r in data["requests"]
    ]
    lines += [
        f"  measure by {m['state']} from {m['effective_on']}: {m['description']}"
        for m in data["measures"]
    ]
    lines += [f"  options paper {p['id']}: {p['title']}" for p in data["papers"]]
    _print(data, args.json, "\n".join(lines))
    return 0


def cmd_topic_register(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    topic = policy.register_topic(
        by=common.user(args.as_user),
        code=args.code,
        title=args.title,
        title_fr=args.title_fr or "",
        threats=_csv_list(args.threats),
        tracks=_csv_list(args.tracks),
        body=common.body(args.body),
    )
    _print({"code": topic.code}, args.json, f"topic {topic.code} registered in {topic.body.code}")
    return 0


def cmd_consult_request(args: argparse.Namespace) -> int:
    from concord.alliance.models import Format
    from concord.domain.errors import NotFound
    from concord.services import common, policy

    user = common.user(args.as_user)
    fmt = None
    if args.format:
        fmt = Format.objects.filter(code=args.format.upper()).first()
        if fmt is None:
            raise NotFound(f"unknown format {args.format!r}")
    request = policy.request_consultations(
        by=user,
        topic=policy.get_topic(args.topic, user),
        state=args.state,
        grounds=args.grounds,
        format=fmt,
    )
    data = {
        "id": request.pk,
        "state": request.state_id,
        "topic": request.topic.code,
        "meeting": request.meeting_id,
        "convene_by": request.convene_by.isoformat(),
    }
    _print(
        data,
        args.json,
        f"consultations requested by {request.state_id} on {request.topic.code}: "
        f"meeting #{request.meeting_id} convened by {data['convene_by']}",
    )
    return 0


def cmd_consult_close(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    request = policy.close_consultation(by=common.user(args.as_user), request_id=args.id)
    _print({"id": request.pk, "closed": True}, args.json, f"request {request.pk} closed")
    return 0


def cmd_consult_measure(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    user = common.user(args.as_user)
    measure = policy.notify_measure(
        by=user,
        topic=policy.get_topic(args.topic, user),
        state=args.state,
        description=args.description,
        effective_on=args.effective,
    )
    _print(
        {"id": measure.pk, "state": measure.state_id},
        args.json,
        f"measure by {measure.state_id} notified on {measure.topic.code}",
    )
    return 0


def _analysis_text(data: dict[str, Any]) -> str:
    lines = [f"options paper {data['paper']}: {data['title']} (topic {data['topic']})"]
    agreeable = set(data["agreeable"])
    for o in data["options"]:
        flag = "all can live with" if o["number"] in agreeable else ""
        lines.append(
            f"  {o['number']:>2}. [{o['instrument']}/{o['track']}] {o['title']}  "
            f"support {o['support']}, can live with {o['can_live_with']}, "
            f"cannot accept {o['cannot_accept']}, not marked {o['not_marked']}  {flag}".rstrip()
        )
    for m in data["nearest_misses"]:
        lines.append(
            f"  option {m['option']} blocked by {', '.join(m['cannot_accept']) or '-'}; "
            f"not marked by {', '.join(m['not_marked']) or '-'}"
        )
    if data["packages"]:
        best = data["packages"][0]
        lines.append(
            f"  best package: {', '.join(map(str, best['options']))} "
            f"({', '.join(best['instruments'])}; support {best['support']})"
        )
    if data["document"]:
        lines.append(f"  drafted as {data['document']}")
    return "\n".join(lines)


def cmd_options_show(args: argparse.Namespace) -> int:
    from concord.services import policy

    paper = policy.get_paper(args.paper, _viewer(args))
    data = policy.analysis(paper)
    _print(data, args.json, _analysis_text(data))
    return 0


def cmd_options_create(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    user = common.user(args.as_user)
    paper = policy.create_paper(
        by=user,
        topic=policy.get_topic(args.topic, user),
        title=args.title,
        title_fr=args.title_fr or "",
    )
    _print({"id": paper.pk}, args.json, f"options paper {paper.pk} created")
    return 0


def cmd_options_add(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    user = common.user(args.as_user)
    option = policy.add_option(
        by=user,
        paper=policy.get_paper(args.paper, user),
        title=args.title,
        title_fr=args.title_fr or "",
        instrument=args.instrument,
        track=args.track,
        cost_note=args.cost_note or "",
        cost_note_fr=args.cost_note_fr or "",
    )
    _print(
        {"paper": args.paper, "option": option.number},
        args.json,
        f"option {option.number} added to options paper {args.paper}",
    )
    return 0


def cmd_options_mark(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    user = common.user(args.as_user)
    mark = policy.mark_option(
        by=user,
        paper=policy.get_paper(args.paper, user),
        option=args.option,
        state=args.state,
        mark=args.mark,
        reason=args.reason or "",
    )
    _print(
        {"paper": args.paper, "option": args.option, "state": mark.state_id, "mark": mark.mark},
        args.json,
        f"{mark.state_id}: {mark.mark.replace('_', ' ')} on option {args.option}",
    )
    return 0


def cmd_options_draft(args: argparse.Namespace) -> int:
    from concord.domain.errors import InvalidInput
    from concord.services import common, policy

    try:
        numbers = [int(n) for n in _csv_list(args.options)]
    except ValueError:
        raise InvalidInput(f"{args.options!r} is not a list of option numbers like 1,3,5") from None
    user = common.user(args.as_user)
    revision = policy.draft_decision(
        by=user, paper=policy.get_paper(args.paper, user), options=numbers
    )
    french = any(p.text_fr for p in revision.paragraphs.all())
    _print(
        {"reference": revision.reference, "languages": ["en", "fr"] if french else ["en"]},
        args.json,
        f"draft decision registered as {revision.reference}"
        + ("" if french else " (English only: translate and align it before a procedure)"),
    )
    return 0


def cmd_commitment_list(args: argparse.Namespace) -> int:
    from concord.policy.models import Commitment
    from concord.services import policy

    user = _viewer(args)
    qs = policy.commitments(user) if user else Commitment.objects.all()
    rows = [
        {
            "id": c.pk,
            "kind": c.kind,
            "title": c.title,
            "due": c.due.isoformat(),
            "states": len(c.states),
        }
        for c in qs.order_by("due", "id")
    ]
    text = "\n".join(
        f"{r['id']:>4}  {r['kind']:<10}  due {r['due']}  {r['states']:>2} states  {r['title']}"
        for r in rows
    )
    _print(rows, args.json, text or "no commitments")
    return 0


def cmd_commitment_create(args: argparse.Namespace) -> int:
    from concord.alliance.models import Membership
    from concord.domain.alliance import MembershipKind
    from concord.services import common, policy

    decision = None
    if args.decision:
        from concord.records.models import Decision

        decision = Decision.objects.filter(number=args.decision.strip()).first()
        if decision is None:
            from concord.domain.errors import NotFound

            raise NotFound(f"no decision {args.decision!r}")
    if not args.states:
        states = None  # those the decision binds
    elif args.states.strip().upper() == "ALLIES":
        states = sorted(
            {
                m.state_id
                for m in Membership.objects.filter(kind=MembershipKind.MEMBER)
                if m.valid_on(common.now().date())
            }
        )
    else:
        states = _csv_list(args.states)
    commitment = policy.create_commitment(
        by=common.user(args.as_user),
        kind=args.kind,
        title=args.title,
        title_fr=args.title_fr or "",
        due=args.due,
        states=states,
        target=args.target,
        topic=policy.get_topic(args.topic) if args.topic else None,
        decision=decision,
    )
    _print({"id": commitment.pk}, args.json, f"commitment {commitment.pk} created")
    return 0


def cmd_commitment_report(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    user = common.user(args.as_user)
    report = policy.report_progress(
        by=user,
        commitment=policy.get_commitment(args.id, user),
        state=args.state,
        figure=args.figure,
        evidence=args.evidence,
        delivered=args.delivered,
        year=args.year,
    )
    _print(
        {"report": report.pk, "state": report.state_id, "figure": report.figure},
        args.json,
        f"report {report.pk} by {report.state_id} on commitment {args.id} recorded",
    )
    return 0


def cmd_commitment_review(args: argparse.Namespace) -> int:
    from concord.services import common, policy

    review = policy.review_report(
        by=common.user(args.as_user), report_id=args.report, verdict=args.verdict, note=args.note
    )
    _print(
        {"report": args.report, "verdict": review.verdict},
        args.json,
        f"report {args.report} {review.verdict}",
    )
    return 0


def cmd_commitment_status(args: argparse.Namespace) -> int:
    from concord.services import policy

    commitment = policy.get_commitment(args.id, _viewer(args))
    data = policy.dashboard(commitment, on=args.on)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["counts"].items() if v)
    lines = [f"{data['title']} (due {data['due']}) on {data['on']}: {counts}"]
    for row in data["states"]:
        figure = "" if row["figure"] is None else f"  {row['figure']:.2f}"
        expected = "" if row["expected"] is None else f" (expected {row['expected']:.2f})"
        lines.append(f"  {row['state']}  {row['status']:<9}{figure}{expected}")
    _print(data, args.json, "\n".join(lines))
    return 0


def cmd_commitment_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from concord.services import policy

    commitment = policy.get_commitment(args.id, _viewer(args))
    text = policy.dashboard_csv(commitment, on=args.on)
    out = Path(args.out)
    if out.is_dir():
        out = out / f"commitment-{commitment.pk}.csv"
    out.write_text(text, encoding="utf-8")
    _print(
        {"path": str(out), "rows": text.count("\n") - 1},
        args.json,
        f"wrote the dashboard of commitment {commitment.pk} to {out}",
    )
    return 0


def cmd_commitment_remind(args: argparse.Namespace) -> int:
    from concord.services import policy

    sent = policy.send_commitment_reminders()
    _print({"sent": sent}, args.json, f"{sent} reminder(s) sent")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["concord manage", *args.rest])
    return 0


# -- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concord", description="Concord: consensus decisions for alliances."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func: Any, help: str, parent: Any = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help="print JSON")
        return p

    command("demo", cmd_demo, "migrate and seed the demo alliance (idempotent)")
    p = command("export", cmd_export, "write the whole record as JSON Lines")
    p.add_argument("path")
    p = command("import", cmd_import, "restore an export into an empty database")
    p.add_argument("path")
    command("demo-code", cmd_demo_code, "the current second-factor code of the demo logins")
    p = command("serve", cmd_serve, "serve the web application")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--workers", type=int, default=1, help="server processes")
    p.add_argument("--with-worker", action="store_true", help="also run a background worker")
    p = command("worker", cmd_worker, "record outcomes as deadlines pass (safe to run several)")
    p.add_argument("--once", action="store_true", help="one sweep, then exit")
    p.add_argument("--interval", type=float, default=None, help="seconds between sweeps")
    p.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)

    audit = sub.add_parser("audit", help="the audit chain").add_subparsers(
        dest="audit_command", required=True
    )
    command(
        "verify",
        cmd_audit_verify,
        "recompute the audit chain; exit 1 at the first bad event",
        audit,
    )

    proc = sub.add_parser("procedure", help="decision procedures").add_subparsers(
        dest="proc_command", required=True
    )
    command("list", cmd_procedure_list, "list procedures and their state", proc)
    p = command("show", cmd_procedure_show, "one procedure in full", proc)
    p.add_argument("id", type=int)

    def acting(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME", help="who acts")

    for name, kind_default, help in (
        ("open-silence", "silence", "open a silence procedure on a document"),
        ("open", None, "open a procedure of any kind"),
    ):
        p = command(name, cmd_procedure_open, help, proc)
        if kind_default:
            p.set_defaults(kind=kind_default)
        else:
            p.add_argument(
                "--kind", required=True, choices=["silence", "meeting", "written", "delegated"]
            )
        p.add_argument("--body", required=True, metavar="CODE")
        p.add_argument("--document", required=kind_default is not None, metavar="REF")
        p.add_argument("--expires", required=True, type=_instant, metavar="ISO-8601")
        p.add_argument("--title", default="")
        p.add_argument("--format", default="", metavar="CODE", help="a partner format of the body")
        acting(p)

    p = command("break", cmd_procedure_break, "break silence on behalf of a state", proc)
    p.add_argument("id", type=int)
    p.add_argument("--state", required=True, metavar="ISO3")
    p.add_argument("--statement", required=True, help="the written statement (required)")
    p.add_argument("--amendment", action="store_true", help="the break proposes an amendment")
    acting(p)

    from concord.domain.procedures import PositionKind

    p = command("position", cmd_procedure_position, "record any position for a state", proc)
    p.add_argument("id", type=int)
    p.add_argument("--state", required=True, metavar="ISO3")
    p.add_argument("--kind", required=True, choices=[k.value for k in PositionKind])
    p.add_argument("--statement", default="")
    p.add_argument("--paragraph", type=int, default=None)
    acting(p)

    p = command("extend", cmd_procedure_extend, "move the expiry later (chair)", proc)
    p.add_argument("id", type=int)
    p.add_argument("--expires", required=True, type=_instant, metavar="ISO-8601")
    acting(p)
    for name, func, help in (
        ("withdraw", cmd_procedure_withdraw, "withdraw the procedure (chair)"),
        ("conclude", cmd_procedure_conclude, "conclude a meeting item (chair)"),
    ):
        p = command(name, func, help, proc)
        p.add_argument("id", type=int)
        acting(p)

    doc = sub.add_parser("document", help="documents in and out (Word, PDF, HTML)").add_subparsers(
        dest="document_command", required=True
    )
    p = command("import", cmd_document_import, "register a Word draft as a negotiated text", doc)
    p.add_argument("file", metavar="FILE.docx")
    p.add_argument("--body", required=True, metavar="CODE")
    p.add_argument("--series", required=True, metavar="SERIES", help="e.g. PO")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument(
        "--french", metavar="FILE.docx", help="the French version, paragraph by paragraph"
    )
    p.add_argument("--title", help="the title (default: the draft's Title paragraph)")
    p.add_argument("--title-fr", dest="title_fr")
    p.add_argument("--classification", default="UNCLASSIFIED", help="e.g. RESTRICTED")
    p.add_argument("--releasable-to", dest="releasable_to", metavar="ISO3,...")
    p = command("export", cmd_document_export, "write a revision as docx, pdf or html", doc)
    p.add_argument("reference", metavar="REF", help="e.g. PO(2026)0042 or PO(2026)0042-REV1")
    p.add_argument("--revision", type=int, metavar="N")
    p.add_argument("--format", required=True, choices=["docx", "pdf", "html"])
    p.add_argument("--out", required=True, metavar="PATH", help="a file, or a folder")
    p.add_argument("--language", default="en", choices=["en", "fr"])
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="export what this user may read (default: the whole text, logged as the operator)",
    )

    topic = sub.add_parser("topic", help="the register of issues and threats").add_subparsers(
        dest="topic_command", required=True
    )

    def viewing(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="show what this user may see"
        )

    p = command("list", cmd_topic_list, "the topics the alliance follows", topic)
    viewing(p)
    p = command("show", cmd_topic_show, "a topic with its requests, measures and papers", topic)
    p.add_argument("code")
    viewing(p)
    p = command("register", cmd_topic_register, "register a topic (secretariat)", topic)
    p.add_argument("--code", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--title-fr", dest="title_fr")
    p.add_argument("--threats", required=True, metavar="KIND,...", help="e.g. military_build_up")
    p.add_argument("--tracks", default="deterrence_defence", metavar="TRACK,...")
    p.add_argument("--body", required=True, metavar="CODE")
    acting(p)

    consult = sub.add_parser(
        "consult", help="consultations on request and national measures"
    ).add_subparsers(dest="consult_command", required=True)
    p = command(
        "request", cmd_consult_request, "a member requests consultations on a topic", consult
    )
    p.add_argument("--topic", required=True, metavar="CODE")
    p.add_argument("--state", required=True, metavar="ISO3")
    p.add_argument("--grounds", required=True, metavar="TEXT")
    p.add_argument("--format", default="", metavar="CODE", help="convene a partner format")
    acting(p)
    p = command("close", cmd_consult_close, "close or withdraw a request", consult)
    p.add_argument("id", type=int)
    acting(p)
    p = command("measure", cmd_consult_measure, "notify a national measure on a topic", consult)
    p.add_argument("--topic", required=True, metavar="CODE")
    p.add_argument("--state", required=True, metavar="ISO3")
    p.add_argument("--description", required=True, metavar="TEXT")
    p.add_argument("--effective", required=True, type=_day, metavar="DATE")
    acting(p)

    opts = sub.add_parser("options", help="options papers").add_subparsers(
        dest="options_command", required=True
    )
    p = command("show", cmd_options_show, "an options paper, its marks and what all accept", opts)
    p.add_argument("paper", type=int)
    viewing(p)
    p = command("create", cmd_options_create, "start an options paper (secretariat)", opts)
    p.add_argument("--topic", required=True, metavar="CODE")
    p.add_argument("--title", required=True)
    p.add_argument("--title-fr", dest="title_fr")
    acting(p)
    from concord.domain.topics import Instrument, Track

    p = command("add", cmd_options_add, "add an option to a paper (secretariat)", opts)
    p.add_argument("paper", type=int)
    p.add_argument("--title", required=True)
    p.add_argument("--title-fr", dest="title_fr")
    p.add_argument("--instrument", required=True, choices=[i.value for i in Instrument])
    p.add_argument("--track", required=True, choices=[t.value for t in Track])
    p.add_argument("--cost-note", dest="cost_note")
    p.add_argument("--cost-note-fr", dest="cost_note_fr")
    acting(p)
    p = command("mark", cmd_options_mark, "mark an option for a state", opts)
    p.add_argument("paper", type=int)
    p.add_argument("option", type=int)
    p.add_argument("--state", required=True, metavar="ISO3")
    p.add_argument("--mark", required=True, choices=["support", "can_live_with", "cannot_accept"])
    p.add_argument("--reason", default="", help="required with cannot_accept")
    acting(p)
    p = command("draft", cmd_options_draft, "register a package as a draft decision", opts)
    p.add_argument("paper", type=int)
    p.add_argument("--options", required=True, metavar="N,N,...")
    acting(p)

    com = sub.add_parser("commitment", help="commitments, reports and dashboards").add_subparsers(
        dest="commitment_command", required=True
    )
    p = command("list", cmd_commitment_list, "the commitments", com)
    viewing(p)
    p = command("create", cmd_commitment_create, "create a commitment (secretariat)", com)
    p.add_argument("--kind", required=True, choices=["spending", "standard", "capability"])
    p.add_argument("--title", required=True)
    p.add_argument("--title-fr", dest="title_fr")
    p.add_argument("--due", required=True, type=_day, metavar="DATE")
    p.add_argument(
        "--states",
        default="",
        metavar="ISO3,...|allies",
        help="the states bound (default with --decision: those the decision binds)",
    )
    p.add_argument("--decision", default="", metavar="NUMBER", help="e.g. NAC-DS(2026)0001")
    p.add_argument("--target", default=None, help="spending: the share of GDP in per cent")
    p.add_argument("--topic", default="", metavar="CODE")
    acting(p)
    p = command("report", cmd_commitment_report, "report progress for a state", com)
    p.add_argument("id", type=int)
    p.add_argument("--state", required=True, metavar="ISO3")
    p.add_argument("--figure", default=None, help="spending: the share of GDP in per cent")
    p.add_argument("--year", type=int, default=None, help="the year the figure is for")
    p.add_argument("--evidence", required=True, metavar="TEXT")
    p.add_argument("--delivered", action="store_true", help="the state considers it delivered")
    acting(p)
    p = command("review", cmd_commitment_review, "accept or query a report (secretariat)", com)
    p.add_argument("report", type=int)
    p.add_argument("--verdict", required=True, choices=["accepted", "queried"])
    p.add_argument("--note", default="", help="required when queried")
    acting(p)
    p = command("status", cmd_commitment_status, "where every bound state stands", com)
    p.add_argument("id", type=int)
    p.add_argument("--on", type=_day, default=None, metavar="DATE", help="default: today")
    viewing(p)
    p = command("export", cmd_commitment_export, "write the dashboard as CSV", com)
    p.add_argument("id", type=int)
    p.add_argument("--format", required=True, choices=["csv"])
    p.add_argument("--out", required=True, metavar="PATH", help="a file, or a folder")
    p.add_argument("--on", type=_day, default=None, metavar="DATE", help="default: today")
    viewing(p)
    command("remind", cmd_commitment_remind, "send the reminders now due (the worker does)", com)

    tok = sub.add_parser("token", help="personal API tokens").add_subparsers(
        dest="token_command", required=True
    )
    p = command("create", cmd_token_create, "create an API token for a user (shown once)", tok)
    p.add_argument("--user", required=True, metavar="NAME")
    p.add_argument("--scope", choices=["read", "write"], default="read")
    p.add_argument("--expires", type=int, default=90, metavar="DAYS")
    p.add_argument("--name", default="", help="a label to recognise it by")
    p = command("list", cmd_token_list, "a user's tokens", tok)
    p.add_argument("--user", required=True, metavar="NAME")
    p = command("revoke", cmd_token_revoke, "revoke a token", tok)
    p.add_argument("id", type=int)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")

    p = command("bench", cmd_bench, "measure Concord beside a reference (throwaway database)")
    p.add_argument("name", choices=["writes", "live", "deadlines", "text"])
    p.add_argument("--clients", type=int, default=None, help="writes: 64; live: 500")
    p.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="writes: how long to drive (20); deadlines: time limit (P/4, at least 120)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="writes, live: server processes (2); deadlines: worker processes (3)",
    )
    p.add_argument(
        "--procedures",
        type=int,
        default=None,
        help="writes: meeting items written to (4 x C); deadlines: procedures (10000)",
    )
    p.add_argument("--paragraphs", type=int, default=None, help="text: paragraphs (2000)")
    p.add_argument("--brackets", type=int, default=None, help="text: brackets (5000)")
    p.add_argument("--amendments", type=int, default=None, help="text: amendments (5000)")

    p = sub.add_parser(
        "manage", help="Django's management commands (migrate, createsuperuser, ...)"
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage, json=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_django()
    from django.db import DatabaseError

    from concord.domain.errors import DomainError

    try:
        return int(args.func(args) or 0)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: database: {first} (is it set up? run `concord demo`)", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
