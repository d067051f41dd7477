from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox-bulk"),
    path("handoffs/", views.HandoffListView.as_view(), name="handoff-list"),
    path("handoffs/export.csv", views.handoff_export, name="handoff-export"),
    path("activities/", views.ActivityListView.as_view(), name="activity-list"),
    path("leads/", views.LeadListView.as_view(), name="lead-list"),
    path("leads/export.csv", views.lead_export, name="lead-export"),
    path("leads/new/", views.LeadCreateView.as_view(), name="lead-create"),
    path("leads/send/", views.lead_bulk_send, name="lead-bulk-send"),
    path("leads/nurture/", views.NurtureView.as_view(), name="nurture"),
    path("leads/import/", views.ImportUploadView.as_view(), name="import-upload"),
    path("leads/import/<int:pk>/", views.ImportMappingView.as_view(), name="import-mapping"),
    path("leads/import/<int:pk>/status/", views.ImportStatusView.as_view(), name="import-status"),
    path("leads/import/<int:pk>/errors.csv", views.import_errors, name="import-errors"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<int:pk>/edit/", views.LeadUpdateView.as_view(), name="lead-update"),
    path("leads/<int:pk>/send/", views.lead_send, name="lead-send"),
    path("leads/<int:pk>/activities/", views.lead_activity, name="lead-activity"),
    path("leads/<int:pk>/<slug:action>/", views.lead_action, name="lead-action"),
    path("pipeline/", views.PipelineBoardView.as_view(), name="pipeline"),
    path(
        "pipeline/probabilities/",
        views.StageProbabilityView.as_view(),
        name="stage-probabilities",
    ),
    path("opportunities/", views.OpportunityListView.as_view(), name="opportunity-list"),
    path("opportunities/new/", views.OpportunityCreateView.as_view(), name="opportunity-create"),
    path(
        "opportunities/import/",
        views.DealImportUploadView.as_view(),
        name="opportunity-import-upload",
    ),
    path(
        "opportunities/import/<int:pk>/",
        views.DealImportMappingView.as_view(),
        name="opportunity-import-mapping",
    ),
    path(
        "opportunities/import/<int:pk>/status/",
        views.DealImportStatusView.as_view(),
        name="opportunity-import-status",
    ),
    path(
        "opportunities/import/<int:pk>/errors.csv",
        views.deal_import_errors,
        name="opportunity-import-errors",
    ),
    path(
        "opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity-detail"
    ),
    path(
        "opportunities/<int:pk>/edit/",
        views.OpportunityUpdateView.as_view(),
        name="opportunity-update",
    ),
    path(
        "opportunities/<int:pk>/activities/",
        views.opportunity_activity,
        name="opportunity-activity",
    ),
    path("opportunities/<int:pk>/proposals/new/", views.proposal_create, name="proposal-create"),
    path(
        "opportunities/<int:pk>/<slug:action>/",
        views.opportunity_action,
        name="opportunity-action",
    ),
    path("proposals/", views.ProposalListView.as_view(), name="proposal-list"),
    path("proposals/<int:pk>/", views.ProposalDetailView.as_view(), name="proposal-detail"),
    path("proposals/<int:pk>/print/", views.ProposalPrintView.as_view(), name="proposal-print"),
    path("proposals/<int:pk>/edit/", views.proposal_update, name="proposal-update"),
    path("proposals/<int:pk>/<slug:action>/", views.proposal_action, name="proposal-action"),
    path("activities/<int:pk>/edit/", views.ActivityUpdateView.as_view(), name="activity-update"),
    path("activities/<int:pk>/delete/", views.ActivityDeleteView.as_view(), name="activity-delete"),
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<int:pk>/edit/", views.AccountUpdateView.as_view(), name="account-update"),
    path("scoring/", views.ScoringRuleListView.as_view(), name="rule-list"),
    path("scoring/new/", views.ScoringRuleCreateView.as_view(), name="rule-create"),
    path("scoring/<int:pk>/", views.ScoringRuleUpdateView.as_view(), name="rule-update"),
    path("scoring/<int:pk>/delete/", views.ScoringRuleDeleteView.as_view(), name="rule-delete"),
]
