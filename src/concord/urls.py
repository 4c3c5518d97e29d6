from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from concord.web import views

urlpatterns = [
    path("", views.procedure_list, name="procedure-list"),
    path("procedures/<int:pk>/", views.procedure_detail, name="procedure-detail"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("admin/", admin.site.urls),
]
