"""The project's pages, for tests that walk all of them."""

from django.urls import URLPattern, URLResolver, get_resolver


def named_patterns(resolver=None, namespace=""):
    """Every named URL pattern of the project but the admin's (tested on its own)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"
