"""The public landing-page form: the only campaign page that needs no login."""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from campaigns.forms import LandingPageForm
from campaigns.models import Campaign
from crm import ratelimit
from leads import services


@require_http_methods(["GET", "POST"])
def landing_page(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    if not campaign.accepts_submissions:
        return render(request, "campaigns/landing_closed.html", {"campaign": campaign})
    if request.method == "GET":
        form = LandingPageForm(initial=LandingPageForm.initial_from(request))
        return render(request, "campaigns/landing_page.html", {"campaign": campaign, "form": form})

    allowed = ratelimit.allow(
        f"landing:{ratelimit.client_ip(request) or 'unknown'}",
        limit=settings.LANDING_RATE_LIMIT,
        window=settings.LANDING_RATE_WINDOW,
    )
    if not allowed:
        return render(
            request, "campaigns/landing_slow_down.html", {"campaign": campaign}, status=429
        )
    form = LandingPageForm(request.POST)
    if not form.is_valid():
        return render(
            request, "campaigns/landing_page.html", {"campaign": campaign, "form": form}, status=400
        )
    if not form.is_bot:
        services.lead_capture(
            campaign=campaign,
            email=form.cleaned_data["email"],
            answers=form.answers(),
            tracking=form.tracking(),
        )
    # The same answer whether the address was new, known, or a bot's: nothing leaks.
    return redirect("landing-thanks", slug=campaign.slug)


def landing_thanks(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    return render(request, "campaigns/landing_thanks.html", {"campaign": campaign})
