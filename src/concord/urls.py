from django.contrib import admin
from django.urls import include, path

from concord.api.routes import api
from concord.web import accounts, live, texts, views

urlpatterns = [
    path("", views.home, name="home"),
    path("desk/", views.desk, name="desk"),
    path("desk/live/", views.desk_fragment, name="desk-fragment"),
    path("bodies/", views.body_list, name="bodies"),
    path("bodies/<str:code>/", views.body_detail, name="body-detail"),
    path("documents/", views.document_list, name="documents"),
    path("documents/import/", views.document_import, name="document-import"),
    path("documents/<str:ref>/", views.document_detail, name="document-detail"),
    path("documents/<str:ref>/text/", texts.text, name="document-text"),
    path("documents/<str:ref>/text/live/", texts.text_fragment, name="document-text-fragment"),
    path("documents/<str:ref>/compare/", texts.compare, name="document-compare"),
    path("documents/<str:ref>/export/<str:fmt>/", texts.export, name="document-export"),
    path("documents/<str:ref>/amendments/", texts.propose, name="document-propose"),
    path(
        "documents/<str:ref>/amendments/<str:label>/<str:action>/",
        texts.decide,
        name="document-decide",
    ),
    path("documents/<str:ref>/brackets/<str:bracket>/", texts.hold, name="document-hold"),
    path(
        "documents/<str:ref>/paragraphs/<str:paragraph>/stance/",
        texts.stance,
        name="document-stance",
    ),
    path(
        "documents/<str:ref>/paragraphs/<str:paragraph>/align/",
        texts.align,
        name="document-align",
    ),
    path("documents/<str:ref>/revise/", texts.issue, name="document-issue"),
    path("procedures/", views.procedure_list, name="procedures"),
    path("procedures/<int:pk>/", views.procedure_detail, name="procedure-detail"),
    path("procedures/<int:pk>/live/", views.procedure_fragment, name="procedure-fragment"),
    path("procedures/<int:pk>/break/", views.procedure_break, name="procedure-break"),
    path("procedures/<int:pk>/position/", views.procedure_position, name="procedure-position"),
    path("procedures/<int:pk>/extend/", views.procedure_extend, name="procedure-extend"),
    path("procedures/<int:pk>/withdraw/", views.procedure_withdraw, name="procedure-withdraw"),
    path("procedures/<int:pk>/conclude/", views.procedure_conclude, name="procedure-conclude"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<str:number>/", views.decision_detail, name="decision-detail"),
    path("decisions/<str:number>/export/<str:fmt>/", texts.decision_export, name="decision-export"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("profile/", views.profile, name="profile"),
    path("profile/calendar/renew/", views.calendar_renew, name="calendar-renew"),
    path("profile/webhooks/", views.webhook_add, name="webhook-add"),
    path("profile/webhooks/<int:pk>/remove/", views.webhook_remove, name="webhook-remove"),
    path("profile/tokens/", views.token_add, name="token-add"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("live/<str:topic>/", live.stream, name="live"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/verify/", accounts.verify, name="verify"),
    path("accounts/two-factor/", accounts.setup, name="two-factor-setup"),
    path("accounts/logout/", accounts.sign_out, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler500 = "concord.web.errors.server_error"
