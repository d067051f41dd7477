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
    path("scoring/", views.ScoringRuleListView.as_view(), name="rule-list"),
    path("scoring/new/", views.ScoringRuleCreateView.as_view(), name="rule-create"),
    path("scoring/<int:pk>/", views.ScoringRuleUpdateView.as_view(), name="rule-update"),
    path("scoring/<int:pk>/delete/", views.ScoringRuleDeleteView.as_view(), name="rule-delete"),
]
