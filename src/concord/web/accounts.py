"""Signing in: a password (argon2, throttled by django-axes), then a second factor (TOTP, or a
recovery code), enrolled at the first sign-in."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from concord.services import security

RECOVERY_CODES = 10


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def get_success_url(self) -> str:
        target = self.get_redirect_url()
        return reverse("verify") + ("?" + urlencode({"next": target}) if target else "")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a recovery code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("desk")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return reverse("desk")
    return target


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return HttpResponseRedirect(_next(request))
    if not any(True for _d in devices_for_user(user)):
        return HttpResponseRedirect(
            reverse("two-factor-setup") + "?" + urlencode({"next": _next(request)})
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            security.signed_in(user.username, type(device).__name__, _address(request))
            return HttpResponseRedirect(_next(request))
        security.sign_in_failed(user.username, "second factor", _address(request))
        form.add_error("token", _("That code is not valid (or too many attempts: wait and retry)."))
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


def _qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device, then show the recovery codes once."""
    user = request.user
    if any(True for _d in devices_for_user(user)):
        return HttpResponseRedirect(reverse("verify") + "?" + urlencode({"next": _next(request)}))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            with transaction.atomic():
                device.confirmed = True
                device.save()
                static = StaticDevice.objects.create(user=user, name="recovery codes")
                codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
                StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
            otp_login(request, device)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error(
            "token", _("That code is not valid. Check your device's clock and try again.")
        )
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/setup.html",
        {
            "form": form,
            "secret": secret,
            "qr": _qr_data_uri(device.config_url),
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@receiver(user_login_failed)
def _password_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    security.sign_in_failed(username, "password", _address(request) if request else "")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        security.signed_out(request.user.username)
    logout(request)
    messages.info(request, _("You are signed out."))
    return HttpResponseRedirect(reverse("login"))
