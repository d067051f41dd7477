"""Server-Timing: how long Django took over a response and how many SQL queries it ran.

Installed only when `HANDOFF_SERVER_TIMING=1` (the benchmark harness sets it), so production
answers carry no internals; browsers' developer tools show the header under "Timing".
"""

import time

from django.db import connections


class _QueryCounter:
    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.seconds += time.perf_counter() - began


class ServerTimingMiddleware:
    """First in the chain, so the session and user lookups count too. A streamed response's
    rows are read after the header left: its count is the queries before the first byte."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _QueryCounter()
        began = time.perf_counter()
        wrappers = [connection.execute_wrapper(counter) for connection in connections.all()]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        total = (time.perf_counter() - began) * 1000
        response["Server-Timing"] = (
            f'db;desc="{counter.queries} queries";dur={counter.seconds * 1000:.1f}, '
            f"app;dur={total:.1f}"
        )
        return response


class ContentSecurityPolicyMiddleware:
    """Sends `settings.CONTENT_SECURITY_POLICY` on every response that has none of its own.
    Scripts come only from this site's static files (no inline script, no eval), so a stored
    script that slipped past escaping would still not run."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}"
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
