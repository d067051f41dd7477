from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.CampaignListView.as_view(), name="campaign-list"),
    path("new/", views.CampaignCreateView.as_view(), name="campaign-create"),
    path("<slug:slug>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path("<slug:slug>/edit/", views.CampaignUpdateView.as_view(), name="campaign-update"),
    path("<slug:slug>/complete/", views.campaign_complete, name="campaign-complete"),
]
