from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from crm.roles import home_url_name


@login_required
def home(request):
    """Send each role to its own home page."""
    url_name = home_url_name(request.user)
    if url_name is None:
        return render(request, "no_role.html", status=403)
    return redirect(url_name)


@never_cache
@require_safe
def healthz(request):
    """For load balancers: 200 while this server can reach its database, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    """A page a person understands when a form's security token is missing or stale."""
    return render(request, "csrf_failure.html", status=403)
