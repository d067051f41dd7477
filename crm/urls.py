from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from campaigns import public as campaign_public
from crm import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("campaigns/", include("campaigns.urls")),
    # Public campaign forms live at short addresses: /go/<slug>/.
    path("go/<slug:slug>/", campaign_public.landing_page, name="landing-page"),
    path("go/<slug:slug>/thanks/", campaign_public.landing_thanks, name="landing-thanks"),
    path("", include("leads.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
