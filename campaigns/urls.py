from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.CampaignListView.as_view(), name="campaign-list"),
    path("<slug:slug>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
]
