"""The demo's register of topics, a request for consultations, a national measure, an options
paper with marks and a draft decision, and two commitments with their reports.

Spending figures are the alliance's published estimates of defence expenditure as a share of GDP
(``concord/data/defence_spending.csv``); everything else is our own invented text. Everything is
written through :mod:`concord.services.policy`, with the clock moved back where it lies in the past.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources

from concord.alliance.models import Body, Membership, User
from concord.domain.alliance import MembershipKind
from concord.services import policy

TOPICS = [
    {
        "code": "eastern-build-up",
        "title": "A neighbour's military build-up on the eastern flank",
        "title_fr": "le renforcement militaire d'un voisin sur le flanc est",
        "threats": ["military_build_up"],
        "tracks": ["deterrence_defence", "dialogue"],
    },
    {
        "code": "disinformation",
        "title": "Disinformation campaigns against allied societies",
        "title_fr": "les campagnes de désinformation visant les sociétés alliées",
        "threats": ["disinformation"],
        "tracks": ["deterrence_defence", "dialogue"],
    },
    {
        "code": "hospital-cyber",
        "title": "Cyber attacks on hospitals",
        "title_fr": "les cyberattaques contre les hôpitaux",
        "threats": ["cyber_attack"],
        "tracks": ["deterrence_defence"],
    },
]

#: (title, title_fr, instrument, track, cost note, cost note in French)
OPTIONS = [
    (
        "Propose a meeting of military representatives to exchange information on exercises "
        "near the border",
        "Proposer une réunion de représentants militaires pour échanger des informations sur "
        "les exercices menés près de la frontière",
        "diplomatic",
        "dialogue",
        "Staff time; one meeting within a month",
        "Du temps de personnel; une réunion dans le mois",
    ),
    (
        "Invite the neighbour to notify large exercises in advance under the confidence-building "
        "arrangements in force",
        "Inviter le voisin à notifier à l'avance les grands exercices dans le cadre des mesures "
        "de confiance en vigueur",
        "diplomatic",
        "dialogue",
        "",
        "",
    ),
    (
        "Publish a joint assessment of the build-up with declassified imagery",
        "Publier une évaluation commune du renforcement, avec des images déclassifiées",
        "information",
        "deterrence_defence",
        "Two weeks of intelligence staff work",
        "Deux semaines de travail du personnel du renseignement",
    ),
    (
        "Raise the readiness of the multinational battlegroups on the eastern flank",
        "Relever l'état de préparation des groupements tactiques multinationaux sur le flanc est",
        "military",
        "deterrence_defence",
        "Significant; borne by the contributing allies",
        "Important; à la charge des Alliés contributeurs",
    ),
    (
        "Reinforce air policing and ground-based air defence in the region for six months",
        "Renforcer pour six mois la police du ciel et la défense aérienne basée au sol dans la "
        "région",
        "military",
        "deterrence_defence",
        "High; rotational deployments",
        "Élevé; déploiements par rotation",
    ),
    (
        "Coordinate restrictions on exports of dual-use goods to the neighbour's defence industry",
        "Coordonner des restrictions aux exportations de biens à double usage vers l'industrie "
        "de défense du voisin",
        "economic",
        "deterrence_defence",
        "Lost sales for some exporters",
        "Manque à gagner pour certains exportateurs",
    ),
    (
        "Ask the neighbour to clarify how the build-up squares with the arms control agreements "
        "in force",
        "Demander au voisin de préciser comment le renforcement se concilie avec les accords de "
        "maîtrise des armements en vigueur",
        "legal",
        "dialogue",
        "Low",
        "Faible",
    ),
    (
        "Send a rapid cyber support team to help the frontline allies protect their networks",
        "Envoyer une équipe de soutien cyber rapide pour aider les Alliés en première ligne à "
        "protéger leurs réseaux",
        "cyber",
        "deterrence_defence",
        "Twenty specialists for three months",
        "Vingt spécialistes pendant trois mois",
    ),
]

#: Option number → state → (mark, reason). Every other ally can live with every option, except
#: option 4, on which the states listed in ``AWAITING`` have not yet marked.
MARKS: dict[int, dict[str, tuple[str, str]]] = {
    1: {"FRA": ("support", ""), "DEU": ("support", ""), "ITA": ("support", "")},
    2: {"DEU": ("support", ""), "HUN": ("support", "")},
    3: {
        "TUR": (
            "cannot_accept",
            "Declassified imagery would reveal how it was collected; a written assessment "
            "without images would be acceptable.",
        ),
        "GBR": ("support", ""),
    },
    4: {"POL": ("support", ""), "LTU": ("support", ""), "LVA": ("support", "")},
    5: {"POL": ("support", ""), "EST": ("support", ""), "FIN": ("support", "")},
    6: {
        "HUN": (
            "cannot_accept",
            "The restrictions would fall hardest on our own exporters; we prefer national "
            "measures notified to allies.",
        ),
        "SVK": ("cannot_accept", "Our industry depends on parts from the region."),
        "USA": ("support", ""),
    },
    7: {"USA": ("support", ""), "SWE": ("support", "")},
    8: {"EST": ("support", ""), "NLD": ("support", ""), "USA": ("support", "")},
}
AWAITING = {4: ("GRC", "PRT")}
PACKAGE = (1, 5, 8)

STANDARD_DELIVERED = ("DNK", "EST", "FIN", "FRA", "DEU", "LVA", "LTU", "NLD", "NOR", "POL")


def read_spending() -> dict[str, dict[int, Decimal]]:
    """State → year → published share of GDP, from the reference data file."""
    text = resources.files("concord.data").joinpath("defence_spending.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out: dict[str, dict[int, Decimal]] = {}
    for row in csv.DictReader(lines):
        code = row.pop("iso3")
        out[code] = {int(y): Decimal(v) for y, v in row.items() if v}
    return out


def seed(users: dict[str, User], now: datetime) -> None:
    nac = Body.objects.get(code="NAC")
    sg, secretary = users["sg"], users["secretary"]
    hour, day = timedelta(hours=1), timedelta(days=1)
    created = now - 20 * day
    topics = {
        spec["code"]: policy.register_topic(by=secretary, body=nac, now=created, **spec)
        for spec in TOPICS
    }
    build_up = topics["eastern-build-up"]

    policy.request_consultations(
        by=users["pol-head"],
        topic=build_up,
        state="POL",
        grounds="Large formations and air defence units have moved within thirty kilometres of "
        "our border over the past week, without notification.",
        now=now - 6 * hour,
    )
    policy.notify_measure(
        by=users["fin-head"],
        topic=build_up,
        state="FIN",
        description="Two road crossings on the eastern border close to traffic for ninety days; "
        "the border guard is reinforced.",
        effective_on=(now + 2 * day).date(),
        now=now - 3 * hour,
    )

    paper = policy.create_paper(
        by=secretary,
        topic=build_up,
        title="Options on the build-up on the eastern flank",
        title_fr="Options face au renforcement militaire sur le flanc est",
        now=now - 4 * day,
    )
    for title, title_fr, instrument, track, cost, cost_fr in OPTIONS:
        policy.add_option(
            by=secretary,
            paper=paper,
            title=title,
            title_fr=title_fr,
            instrument=instrument,
            track=track,
            cost_note=cost,
            cost_note_fr=cost_fr,
            now=now - 4 * day,
        )
    allies = sorted(
        Membership.objects.filter(kind=MembershipKind.MEMBER).values_list("state_id", flat=True)
    )
    at = now - 3 * day
    for number in range(1, len(OPTIONS) + 1):
        for state in allies:
            if state in AWAITING.get(number, ()):
                continue
            mark, reason = MARKS.get(number, {}).get(state, ("can_live_with", ""))
            policy.mark_option(
                by=users.get(f"{state.lower()}-head", sg),
                paper=paper,
                option=number,
                state=state,
                mark=mark,
                reason=reason,
                now=at,
            )
    policy.draft_decision(by=secretary, paper=paper, options=PACKAGE, now=now - 2 * day)

    _seed_spending(users, allies)
    _seed_standard(users, allies, now)


def _seed_spending(users: dict[str, User], allies: list[str]) -> None:
    secretary = users["secretary"]
    figures = read_spending()
    joined = dict(
        Membership.objects.filter(kind=MembershipKind.MEMBER).values_list("state_id", "since")
    )
    bound = [s for s in allies if s in figures]
    pledge = policy.create_commitment(
        by=secretary,
        kind="spending",
        title="Defence spending of at least 2 % of GDP by 2024",
        title_fr="Des dépenses de défense d'au moins 2 % du PIB d'ici 2024",
        due=date(2024, 12, 31),
        target=Decimal("2.0"),
        states=bound,
        baseline_on=date(2014, 9, 5),
        baselines={s: figures[s][2014] for s in bound if 2014 in figures[s]},
        now=datetime(2014, 9, 5, 12, tzinfo=UTC),
    )
    target = Decimal("2.0")
    for year in sorted({y for by_year in figures.values() for y in by_year}):
        at = datetime(year, 12, 1, 9, tzinfo=UTC)
        for state in bound:
            share = figures[state].get(year)
            if share is None or joined[state].year > year:
                continue
            report = policy.report_progress(
                by=users.get(f"{state.lower()}-head", secretary),
                commitment=pledge,
                state=state,
                figure=share,
                year=year,
                delivered=share >= target,
                evidence=f"Defence expenditure in {year} as published by the alliance"
                + (" (estimate)" if year >= 2024 else ""),
                now=at,
            )
            policy.review_report(
                by=secretary,
                report_id=report.pk,
                verdict="accepted",
                now=at + timedelta(days=7),
            )


def _seed_standard(users: dict[str, User], allies: list[str], now: datetime) -> None:
    secretary = users["secretary"]
    standard = policy.create_commitment(
        by=secretary,
        kind="standard",
        title="Ratify and implement the common standard for sharing maritime surveillance data",
        title_fr="Ratifier et mettre en œuvre la norme commune d'échange des données de "
        "surveillance maritime",
        due=(now + timedelta(days=25)).date(),
        states=allies,
        topic=None,
        now=now - timedelta(days=200),
    )
    at = now - timedelta(days=30)
    for state in STANDARD_DELIVERED:
        report = policy.report_progress(
            by=users.get(f"{state.lower()}-head", secretary),
            commitment=standard,
            state=state,
            delivered=True,
            evidence="Ratified; national implementation plan in force.",
            now=at,
        )
        policy.review_report(
            by=secretary, report_id=report.pk, verdict="accepted", now=at + timedelta(days=2)
        )
    policy.report_progress(
        by=users["gbr-head"],
        commitment=standard,
        state="GBR",
        evidence="The bill of ratification is before Parliament.",
        now=at,
    )
    queried = policy.report_progress(
        by=users["tur-head"],
        commitment=standard,
        state="TUR",
        delivered=True,
        evidence="Implemented.",
        now=at,
    )
    policy.review_report(
        by=secretary,
        report_id=queried.pk,
        verdict="queried",
        note="Please give the date of ratification and the implementing regulation.",
        now=at + timedelta(days=2),
    )
