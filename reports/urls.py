from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("sla/", views.SlaView.as_view(), name="sla"),
    path("funnel/", views.FunnelView.as_view(), name="funnel"),
    path("campaigns/", views.CampaignReportView.as_view(), name="campaigns"),
    path("lead-response/", views.ResponseReportView.as_view(), name="response"),
    path("rejections/", views.RejectionReportView.as_view(), name="rejections"),
    path("sales/", views.SalesReportView.as_view(), name="sales"),
    path("pipeline/", views.PipelineReportView.as_view(), name="pipeline"),
    path("revenue/", views.RevenueReportView.as_view(), name="revenue"),
    path("sla/new-version/", views.SlaUpdateView.as_view(), name="sla-update"),
    path("quotas/", views.QuotaListView.as_view(), name="quota-list"),
    path("quotas/new/", views.QuotaCreateView.as_view(), name="quota-create"),
    path("quotas/history/", views.QuotaHistoryView.as_view(), name="quota-history"),
    path("quotas/<int:pk>/", views.QuotaUpdateView.as_view(), name="quota-update"),
    path("quotas/<int:pk>/delete/", views.QuotaDeleteView.as_view(), name="quota-delete"),
]
