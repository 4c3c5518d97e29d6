"""The demo alliance: 32 allies and their partners, bodies, people, documents and procedures.

Reference data are read from ``concord/data/states.csv`` (public figures). The documents are our
own invented texts. The procedures' history is written through the same services as everything
else, with the clock moved back for the ones that lie in the past.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from concord.alliance.models import Body, Delegation, Format, Membership, State, User
from concord.documents.models import Revision
from concord.domain.alliance import BodyKind, MembershipKind, Role
from concord.domain.audit import SYSTEM_DEMO
from concord.domain.events import Tag
from concord.domain.markings import Classification
from concord.domain.procedures import Kind, PositionKind
from concord.domain.procedures import State as ProcedureState
from concord.procedures.models import Procedure
from concord.services import audit, common, documents, procedures

PASSWORD = "concord-demo"
#: Every demo login has an authenticator set up with this published key (base32 below), so that a
#: newcomer can sign in without a phone: ``concord demo-code`` prints the current code.
DEMO_TOTP_KEY = b"concord-demo-totp!!!".hex()
#: The demo assumes partnerships dating from this day (not an official date).
PARTNERS_SINCE = date(2012, 1, 1)
INDO_PACIFIC = ("AUS", "JPN", "KOR", "NZL")


@dataclass(frozen=True)
class Person:
    username: str
    first: str
    last: str
    role: Role
    state: str | None = None
    ministerial: bool = False
    clearance: Classification = Classification.SECRET


PEOPLE = [
    Person(
        "sg", "Ingrid", "Valdal", Role.SECRETARIAT_CHAIR, clearance=Classification.COSMIC_TOP_SECRET
    ),
    Person("pc-chair", "Tomasz", "Lewicki", Role.SECRETARIAT_CHAIR),
    Person("secretary", "Aoife", "Brennan", Role.SECRETARIAT_SECRETARY),
    Person("fra-head", "Hélène", "Marchal", Role.DELEGATION_HEAD, "FRA"),
    Person("fra-deputy", "Julien", "Roussel", Role.DELEGATION_DEPUTY, "FRA"),
    Person(
        "fra-adviser",
        "Camille",
        "Fabre",
        Role.DELEGATION_ADVISER,
        "FRA",
        clearance=Classification.CONFIDENTIAL,
    ),
    Person("fra-capital", "Bernard", "Lacoste", Role.CAPITAL_OFFICIAL, "FRA", ministerial=True),
    Person("fra-desk", "Nadia", "Berrada", Role.CAPITAL_OFFICIAL, "FRA"),
    Person("deu-head", "Katrin", "Hollmann", Role.DELEGATION_HEAD, "DEU"),
    Person("deu-capital", "Matthias", "Brandt", Role.CAPITAL_OFFICIAL, "DEU", ministerial=True),
    Person("usa-head", "Daniel", "Whitcombe", Role.DELEGATION_HEAD, "USA"),
    Person("pol-head", "Agnieszka", "Wróbel", Role.DELEGATION_HEAD, "POL"),
    Person("tur-head", "Emre", "Kaya", Role.DELEGATION_HEAD, "TUR"),
    Person("gbr-head", "Fiona", "Ashdown", Role.DELEGATION_HEAD, "GBR"),
    Person("fin-head", "Aino", "Lehtonen", Role.DELEGATION_HEAD, "FIN"),
    Person("swe-head", "Linnea", "Bergqvist", Role.DELEGATION_HEAD, "SWE"),
    Person("jpn-delegate", "Haruto", "Sakamoto", Role.PARTNER_DELEGATE, "JPN"),
    Person("aus-delegate", "Olivia", "Fraser", Role.PARTNER_DELEGATE, "AUS"),
    Person("kor-delegate", "Min-jun", "Park", Role.PARTNER_DELEGATE, "KOR"),
    Person("kor-capital", "Seo-yeon", "Han", Role.CAPITAL_OFFICIAL, "KOR", ministerial=True),
    Person("nzl-delegate", "Aroha", "Ngata", Role.PARTNER_DELEGATE, "NZL"),
    Person(
        "mng-delegate",
        "Bat-Erdene",
        "Dorj",
        Role.PARTNER_DELEGATE,
        "MNG",
        clearance=Classification.UNCLASSIFIED,
    ),
    Person("auditor", "Ruth", "Okafor", Role.AUDITOR, clearance=Classification.COSMIC_TOP_SECRET),
]

DOCUMENTS: list[dict[str, Any]] = [
    {
        "key": "cables",
        "series": "PO",
        "body": "NAC",
        "level": Classification.UNCLASSIFIED,
        "title": "Council statement on the protection of undersea cables and pipelines",
        "title_fr": "Déclaration du Conseil sur la protection des câbles et gazoducs sous-marins",
        "text": [
            (
                "Allies note a rise in suspicious activity near undersea cables and pipelines in the "
                "waters of the alliance.",
                "Les Alliés constatent une hausse des activités suspectes à proximité des câbles et "
                "gazoducs sous-marins dans les eaux de l'Alliance.",
            ),
            (
                "Allies will share maritime surveillance data on critical seabed infrastructure "
                "within forty-eight hours of any incident.",
                "Les Alliés partageront leurs données de surveillance maritime relatives aux "
                "infrastructures critiques des fonds marins dans les quarante-huit heures suivant "
                "tout incident.",
            ),
            (
                "The Council tasks the Political Committee to report on progress within six months.",
                "Le Conseil charge le Comité politique de rendre compte des progrès dans un délai de "
                "six mois.",
            ),
        ],
    },
    {
        "key": "hybrid",
        "series": "C-M",
        "body": "NAC",
        "level": Classification.RESTRICTED,
        "title": "Guidance on countering hybrid campaigns against allied elections",
        "text": [
            (
                "Hybrid campaigns combine disinformation, cyber intrusion and covert funding to "
                "weaken public trust in elections.",
                "Les campagnes hybrides associent désinformation, intrusions informatiques et "
                "financements occultes pour affaiblir la confiance du public dans les élections.",
            ),
            (
                "Allies agree to notify each other of a detected campaign through the Council within "
                "seventy-two hours.",
                "Les Alliés conviennent de se signaler mutuellement toute campagne détectée, par "
                "l'intermédiaire du Conseil, dans un délai de soixante-douze heures.",
            ),
            (
                "A common response may include public attribution, coordinated sanctions and "
                "support to the affected ally's election authorities.",
                "Une réponse commune peut comprendre une attribution publique, des sanctions "
                "coordonnées et un soutien aux autorités électorales de l'Allié visé.",
            ),
        ],
    },
    {
        "key": "cyber-norms",
        "series": "PO",
        "body": "NAC",
        "level": Classification.UNCLASSIFIED,
        "releasable_to": INDO_PACIFIC,
        "title": "Joint statement with Indo-Pacific partners on responsible behaviour in cyberspace",
        "text": [
            (
                "Participants reaffirm that international law applies to the conduct of states in "
                "cyberspace.",
                "Les participants réaffirment que le droit international s'applique à la conduite "
                "des États dans le cyberespace.",
            ),
            (
                "Participants will exchange warnings about malicious campaigns targeting their "
                "critical infrastructure.",
                "Les participants échangeront des alertes sur les campagnes malveillantes visant "
                "leurs infrastructures critiques.",
            ),
        ],
    },
    {
        "key": "readiness",
        "series": "C-M",
        "body": "PC",
        "level": Classification.SECRET,
        "title": "Readiness targets for the allied cyber rapid-response pool",
        "text": [
            (
                "Each contributing ally keeps a response team deployable within twelve hours.",
                "Chaque Allié contributeur maintient une équipe d'intervention déployable en "
                "douze heures.",
            ),
            (
                "The pool is reviewed annually against agreed readiness targets.",
                "Le dispositif est évalué chaque année au regard des objectifs de disponibilité "
                "convenus.",
            ),
        ],
    },
    {
        "key": "maritime",
        "series": "PO",
        "body": "NAC",
        "level": Classification.PUBLIC,
        "title": "Public communiqué on freedom of navigation",
        "title_fr": "Communiqué public sur la liberté de navigation",
        "text": [
            (
                "Allies reaffirm their commitment to freedom of navigation in international waters.",
                "Les Alliés réaffirment leur attachement à la liberté de navigation dans les eaux "
                "internationales.",
            ),
        ],
    },
    {
        "key": "exercise",
        "series": "PO",
        "body": "RWG",
        "level": Classification.RESTRICTED,
        "title": "Calendar of civil preparedness exercises for the coming year",
        "text": [
            (
                "The working group approves the exercise calendar annexed to this note.",
                "Le groupe de travail approuve le calendrier des exercices annexé à la présente note.",
            )
        ],
    },
]


def _read_states() -> list[dict[str, str]]:
    text = resources.files("concord.data").joinpath("states.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def seed_states() -> None:
    """States, their dated memberships and delegations, from the reference data file."""
    for row in _read_states():
        state, _created = State.objects.update_or_create(
            iso3=row["iso3"],
            defaults={
                "name_en": row["name_en"],
                "name_fr": row["name_fr"],
                "population_millions": Decimal(row["population_millions"] or "0"),
            },
        )
        member = row["kind"] == MembershipKind.MEMBER
        since = date.fromisoformat(row["member_since"]) if member else PARTNERS_SINCE
        Membership.objects.get_or_create(
            state=state,
            kind=MembershipKind.MEMBER if member else MembershipKind.PARTNER,
            defaults={"since": since},
        )
        Delegation.objects.get_or_create(
            state=state,
            defaults={"name": f"{'Delegation' if member else 'Mission'} of {row['name_en']}"},
        )


def _seed_reference_data() -> dict[str, User]:
    seed_states()
    password = make_password(PASSWORD)  # one hash for every demo login: seeding stays quick
    users: dict[str, User] = {}
    for person in PEOPLE:
        user, _created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "first_name": person.first,
                "last_name": person.last,
                "role": person.role,
                "state_id": person.state,
                "ministerial_authority": person.ministerial,
                "clearance": int(person.clearance),
                "password": password,
                "delegation": Delegation.objects.filter(state_id=person.state).first(),
            },
        )
        users[person.username] = user
    admin, _created = User.objects.get_or_create(
        username="admin",
        defaults={
            "first_name": "Sam",
            "last_name": "Ortega",
            "role": Role.ADMINISTRATOR,
            "is_staff": True,
            "is_superuser": True,
            "password": password,
            "clearance": int(Classification.COSMIC_TOP_SECRET),
        },
    )
    users["admin"] = admin
    for user in users.values():
        TOTPDevice.objects.get_or_create(
            user=user, name="demo authenticator", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
    nac, _created = Body.objects.get_or_create(
        code="NAC",
        defaults={
            "name": "North Atlantic Council",
            "name_fr": "Conseil de l'Atlantique Nord",
            "kind": BodyKind.COUNCIL,
            "chair": users["sg"],
            "secretary": users["secretary"],
        },
    )
    Body.objects.get_or_create(
        code="PC",
        defaults={
            "name": "Political Committee",
            "name_fr": "Comité politique",
            "kind": BodyKind.COMMITTEE,
            "parent": nac,
            "chair": users["pc-chair"],
            "secretary": users["secretary"],
            "minimum_silence": timedelta(hours=24),
            "ministerial_objections": True,
        },
    )
    Body.objects.get_or_create(
        code="RWG",
        defaults={
            "name": "Resilience Working Group",
            "name_fr": "Groupe de travail sur la résilience",
            "kind": BodyKind.WORKING_GROUP,
            "parent": nac,
            "chair": users["pc-chair"],
            "secretary": users["secretary"],
            "coalitions_within": True,
            "delegated_authority": True,
        },
    )
    fmt, _created = Format.objects.get_or_create(
        code="NAC-IP4",
        defaults={
            "name": "Council with Indo-Pacific partners",
            "name_fr": "Conseil avec les partenaires de l'Indo-Pacifique",
            "body": nac,
        },
    )
    fmt.partners.set(INDO_PACIFIC)
    return users


def _seed_history(users: dict[str, User], now: datetime) -> None:
    bodies = {b.code: b for b in Body.objects.all()}
    revisions = {}
    for spec in DOCUMENTS:
        revisions[spec["key"]] = documents.register(
            by=users["secretary"],
            body=bodies[spec["body"]],
            series_code=spec["series"],
            title=spec["title"],
            title_fr=spec.get("title_fr", ""),
            paragraphs=spec["text"],
            classification=spec["level"],
            releasable_to=spec.get("releasable_to", ()),
            now=now - timedelta(days=5),
        )
    day = timedelta(days=1)
    sg, nac = users["sg"], bodies["NAC"]

    # Adopted: a public communiqué under silence that expired two days ago with nobody breaking.
    procedures.open_silence(
        by=sg, body=nac, revision=revisions["maritime"], expires_at=now - 2 * day, now=now - 4 * day
    )
    # Broken: guidance on hybrid campaigns, silence broken by France and Germany.
    broken = procedures.open_silence(
        by=sg, body=nac, revision=revisions["hybrid"], expires_at=now - day, now=now - 3 * day
    )
    procedures.break_silence(
        procedure_id=broken.pk,
        by=users["fra-head"],
        state="FRA",
        now=now - 2 * day,
        statement="France cannot accept paragraph 3 as drafted: sanctions are decided nationally.",
    )
    procedures.break_silence(
        procedure_id=broken.pk,
        by=users["deu-head"],
        state="DEU",
        grounds="amendment",
        now=now - 2 * day + timedelta(hours=3),
        statement="Germany proposes to replace 'coordinated sanctions' with 'coordinated measures'.",
    )
    # A meeting of the Council with its Indo-Pacific partners; Korea agreed ad referendum.
    meeting = procedures.open_procedure(
        by=sg,
        kind=Kind.MEETING,
        body=nac,
        format=Format.objects.get(code="NAC-IP4"),
        revision=revisions["cyber-norms"],
        expires_at=now + 2 * day,
        now=now - 2 * day,
    )
    for state, username, kind, statement in (
        ("JPN", "jpn-delegate", PositionKind.JOIN, ""),
        ("KOR", "kor-delegate", PositionKind.AD_REFERENDUM, ""),
        (
            "TUR",
            "sg",
            PositionKind.STATEMENT,
            "Türkiye understands paragraph 2 to cover warnings shared through existing channels.",
        ),
    ):
        procedures.file_position(
            procedure_id=meeting.pk,
            by=users[username],
            state=state,
            kind=kind,
            statement=statement,
            now=now - 2 * day + timedelta(hours=1),
        )
    procedures.conclude(procedure_id=meeting.pk, by=sg, now=now - 2 * day + timedelta(hours=2))
    # A written procedure in the Political Committee, replies coming in.
    written = procedures.open_procedure(
        by=users["pc-chair"],
        kind=Kind.WRITTEN,
        body=bodies["PC"],
        revision=revisions["readiness"],
        expires_at=now + 2 * day,
        now=now - day,
    )
    for state, username, kind in (
        ("USA", "usa-head", PositionKind.APPROVE),
        ("POL", "pol-head", PositionKind.APPROVE),
        ("GBR", "gbr-head", PositionKind.SCRUTINY_RESERVATION),
    ):
        procedures.file_position(
            procedure_id=written.pk,
            by=users[username],
            state=state,
            kind=kind,
            now=now - day + timedelta(hours=2),
        )
    # The working group's chair decides under delegated authority unless someone calls it up.
    procedures.open_procedure(
        by=users["pc-chair"],
        kind=Kind.DELEGATED,
        body=bodies["RWG"],
        revision=revisions["exercise"],
        expires_at=now + 3 * day,
        now=now - day,
    )
    _seed_negotiation(users, bodies["NAC"], now)
    _seed_policy(users, now)


def _seed_policy(users: dict[str, User], now: datetime) -> None:
    """Topics, a request for consultations, a national measure, an options paper and two
    commitments (see :mod:`concord.services.demo_policy`)."""
    from concord.services import demo_policy

    demo_policy.seed(users, now)


#: A draft under negotiation in the Council: brackets in both languages, their holders,
#: amendments in every state, a first revision, stances on paragraphs.
NEGOTIATION = {
    "title": "Draft Council declaration on the resilience of energy supplies",
    "title_fr": "Projet de déclaration du Conseil sur la résilience des approvisionnements "
    "énergétiques",
    "text": [
        (
            "Allies recognise that secure and diversified energy supplies are essential to "
            "collective defence.",
            "Les Alliés reconnaissent que des approvisionnements énergétiques sûrs et diversifiés "
            "sont essentiels à la défense collective.",
        ),
        (
            "Allies [will / should] reduce their dependence on any single supplier "
            "[by 2030 / as soon as practicable].",
            "Les Alliés [réduiront / devraient réduire] leur dépendance à l'égard d'un fournisseur "
            "unique [d'ici 2030 / dès que possible].",
        ),
        (
            "The Council will [establish / consider establishing] a common register of critical "
            "energy infrastructure.",
            "Le Conseil [établira / envisagera d'établir] un registre commun des infrastructures "
            "énergétiques critiques.",
        ),
        (
            "Allies will share assessments of threats to pipelines, cables and grids "
            "[through the Situation Centre].",
            "Les Alliés partageront leurs évaluations des menaces pesant sur les gazoducs, les "
            "câbles et les réseaux [par l'intermédiaire du Centre de situation].",
        ),
        (
            "The Council will review implementation at its next ministerial meeting.",
            "Le Conseil examinera la mise en œuvre lors de sa prochaine réunion ministérielle.",
        ),
    ],
    # bracket -> alternative (counted from 1) -> holders
    "holders": {
        "b1": {1: ("FRA", "POL", "LTU"), 2: ("DEU", "HUN")},
        "b2": {1: ("POL", "LTU", "EST"), 2: ("DEU", "ITA")},
        "b3": {1: ("NLD",), 2: ("TUR",)},
        "b4": {1: ("GBR",), 2: ("USA",)},
    },
}


def _seed_negotiation(users: dict[str, User], nac: Body, now: datetime) -> None:
    from concord.services import texts

    sg = users["sg"]

    def speaker(state: str) -> User:
        """The head of delegation where the demo has one; else the Secretary General, recording
        what the delegation said in the room."""
        return users.get(f"{state.lower()}-head", sg)

    at = now - timedelta(days=3)
    document = documents.register(
        by=users["secretary"],
        body=nac,
        series_code="PO",
        title=NEGOTIATION["title"],
        title_fr=NEGOTIATION["title_fr"],
        paragraphs=NEGOTIATION["text"],
        now=at,
    ).document
    for bracket, alternatives in NEGOTIATION["holders"].items():
        for alternative, states in alternatives.items():
            for state in states:
                texts.hold(
                    by=speaker(state),
                    state=state,
                    document=document,
                    bracket=bracket,
                    alternative=alternative,
                    now=at,
                )
    hour = timedelta(hours=1)
    texts.propose(
        by=users["fra-head"],
        document=document,
        rationale="Names the meeting precisely.",
        op="replace_span",
        paragraph="p5",
        old="its next ministerial meeting",
        new="the next meeting of foreign ministers",
        now=at + hour,
    )
    texts.propose(
        by=users["tur-head"],
        document=document,
        rationale="A common register would duplicate national arrangements.",
        op="delete_paragraph",
        paragraph="p3",
        now=at + hour,
    )
    texts.propose(
        by=sg,
        state="NOR",
        document=document,
        rationale="Exercising together makes the commitment practical.",
        op="insert_paragraph",
        after="p4",
        new="Allies will exercise the protection of energy infrastructure together with "
        "partners [where appropriate].",
        french="Les Alliés s'exerceront à la protection des infrastructures énergétiques avec "
        "leurs partenaires [le cas échéant].",
        now=at + hour,
    )
    texts.decide(by=sg, document=document, label="A1", action="accept", now=at + 2 * hour)
    texts.decide(by=sg, document=document, label="A2", action="reject", now=at + 2 * hour)
    for state, paragraph, stance in (
        ("FRA", "p1", "can_agree"),
        ("DEU", "p1", "can_agree"),
        ("DEU", "p2", "cannot_agree"),
        ("HUN", "p2", "awaiting_instructions"),
        ("TUR", "p3", "cannot_agree"),
    ):
        texts.record_stance(
            by=speaker(state),
            state=state,
            document=document,
            paragraph=paragraph,
            stance=stance,
            now=at + 3 * hour,
        )
    texts.issue(
        by=sg,
        document=document,
        cleaned={"b3": 1},
        note="A1 taken in; the register is established",
        now=at + timedelta(days=1),
    )
    texts.propose(
        by=users["fra-head"],
        document=document,
        rationale="The French to match amendment A1.",
        op="replace_span",
        paragraph="p5",
        language="fr",
        old="sa prochaine réunion ministérielle",
        new="la prochaine réunion des ministres des affaires étrangères",
        now=at + timedelta(days=1, hours=2),
    )


def _running_silence(users: dict[str, User], now: datetime) -> Procedure:
    running = Procedure.objects.filter(
        kind=Kind.SILENCE, body__code="NAC", state=ProcedureState.OPEN, expires_at__gt=now
    ).first()
    if running is not None:
        return running
    revision = _latest_revision_titled(DOCUMENTS[0]["title"])
    expiry = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    return procedures.open_silence(
        by=users["sg"],
        body=Body.objects.get(code="NAC"),
        revision=revision,
        expires_at=expiry,
        now=now,
    )


def _latest_revision_titled(title: str) -> Revision:
    return (
        Revision.objects.filter(document__title=title)
        .order_by("-document__created_at", "-number")
        .first()
    )


def seed(now: datetime | None = None) -> dict[str, Any]:
    at = now or common.now()
    with transaction.atomic():
        fresh = not Body.objects.filter(code="NAC").exists()
        users = _seed_reference_data()
        if fresh:
            _seed_history(users, at.replace(second=0, microsecond=0))
            audit.append(
                actor=SYSTEM_DEMO,
                tag=Tag.DEMO_SEEDED,
                subject="alliance:demo",
                payload={"states": State.objects.count(), "users": len(users)},
                at=at,
            )
        running = _running_silence(users, at)
    procedures.record_due_outcomes(at)
    return {
        "seeded": fresh,
        "password": PASSWORD,
        "totp_secret": demo_totp_secret(),
        "logins": [
            {
                "username": u.username,
                "role": u.role,
                "state": u.state_id,
                "ministerial": u.ministerial_authority,
            }
            for u in User.objects.order_by("username")
        ],
        "running_silence": {"id": running.pk, "expires_at": running.expires_at.isoformat()},
        "procedures": Procedure.objects.count(),
    }


def describe(report: dict[str, Any]) -> str:
    lines = [
        "Demo alliance " + ("seeded." if report["seeded"] else "already present; left as it was.")
    ]
    lines.append(
        f"Running silence procedure: #{report['running_silence']['id']}, "
        f"expires {report['running_silence']['expires_at']}"
    )
    lines.append(
        f"Logins (password for all: {report['password']}; second factor: the code of "
        f"the authenticator key {report['totp_secret']}, or run `concord demo-code`):"
    )
    for login in report["logins"]:
        extra = " (ministerial authority)" if login["ministerial"] else ""
        lines.append(
            f"  {login['username']:<14} {login['role']:<22} {login['state'] or '':<4}{extra}"
        )
    return "\n".join(lines)


def demo_totp_secret() -> str:
    import base64

    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()


def demo_code(at: float | None = None) -> str:
    """The current second-factor code of the demo authenticator key (and of no other)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY), step=30, digits=6)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"
