"""Factories for the objects tests need; states come from the real reference data."""

from __future__ import annotations

from datetime import timedelta

import factory

from concord.alliance.models import Body, Format, User
from concord.domain.alliance import BodyKind, Role
from concord.domain.markings import Classification


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.DELEGATION_HEAD
    clearance = int(Classification.SECRET)
    password = factory.django.Password("pw")


def delegate(state: str, role: Role = Role.DELEGATION_HEAD, **kw) -> User:
    role = Role(role)
    return UserFactory(username=f"{state.lower()}-{role.value}", state_id=state, role=role, **kw)


def capital(state: str, ministerial: bool = True) -> User:
    name = f"{state.lower()}-capital{'-min' if ministerial else ''}"
    return UserFactory(
        username=name, state_id=state, role=Role.CAPITAL_OFFICIAL, ministerial_authority=ministerial
    )


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Body
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.LazyAttribute(lambda o: f"Body {o.code}")
    kind = BodyKind.COMMITTEE
    chair = factory.SubFactory(
        UserFactory,
        username=factory.LazyAttribute(lambda o: f"chair-{o.factory_parent.code.lower()}"),
        role=Role.SECRETARIAT_CHAIR,
    )
    minimum_silence = timedelta(0)


def partner_format(body: Body, partners=("AUS", "JPN", "KOR", "NZL")) -> Format:
    fmt = Format.objects.create(
        code=f"{body.code}-IP4", name="With Indo-Pacific partners", body=body
    )
    fmt.partners.set(partners)
    return fmt


def secretary() -> User:
    return UserFactory(username="secretary", role=Role.SECRETARIAT_SECRETARY)


def verified_login(client, user, password: str = "pw") -> None:
    """Sign ``user`` in through the real pages: password, then a TOTP code."""
    import base64

    import pyotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    response = client.post("/accounts/verify/", {"token": code})
    assert response.status_code == 302 and "/accounts/" not in response["Location"], response
