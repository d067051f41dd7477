from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path(
        "opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity-detail"
    ),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"),
]
