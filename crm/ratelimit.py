"""A fixed-window rate limit kept in the shared cache, so it holds across workers and servers."""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one more attempt for `key`; False once more than `limit` happened in the window.

    The database cache's incr is a read and a write, so two workers at the same instant may
    count one attempt too few; Redis and Memcached count exactly. Either way a flood is cut."""
    # One counter per window, named by the window's number: a backend's incr may reset the
    # key's expiry (the database cache writes it again with the default timeout), and then a
    # counter kept under one name would outlive its window.
    cache_key = f"ratelimit:{key}:{int(_clock() // window)}"
    cache.add(cache_key, 0, timeout=window)
    try:
        attempts = cache.incr(cache_key)
    except ValueError:  # the window ran out between add and incr
        cache.set(cache_key, 1, timeout=window)
        attempts = 1
    return attempts <= limit


def _clock() -> float:
    return time.time()


def client_ip(request) -> str | None:
    """The address the request came from, for rate limits and login throttling.

    With HANDOFF_PROXY_COUNT = n reverse proxies in front of the app, each appending the address
    it saw to X-Forwarded-For, the client is the n-th entry from the right: what the outermost
    proxy saw. Entries further left are whatever the client sent, never trusted. With no proxy
    (the default) it is the connection's own address. None when there is none (a UNIX socket,
    a request made in code): the login log stores no address then."""
    count = settings.HANDOFF_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass  # a proxy that wrote no address: fall back to the connection's
    return request.META.get("REMOTE_ADDR") or None
