"""A counter of the requests the sandbox answered, by route and by API key.

Kept in process memory (tests and benchmarks read it in the same process, or over
HTTP at /pixapi-sandbox/_sandbox/stats). Thread-safe: the server answers requests
on several threads at once.
"""

import threading
from collections import Counter

ROUTES = ("submit_video", "get_task", "images", "submit_image", "models", "file", "retired_sync")

_lock = threading.Lock()
_routes = Counter()
_keys = Counter()


def count(route, key=None):
    """Count one request to `route`; `key` is the API key it carried, if any."""
    with _lock:
        _routes[route] += 1
        if key:
            _keys[key] += 1


def snapshot():
    """{"routes": {name: n, ...}, "keys": {key: n, ...}, "total": n}; every route is listed."""
    with _lock:
        routes = {name: _routes.get(name, 0) for name in ROUTES}
        routes.update({name: n for name, n in _routes.items() if name not in routes})
        return {"routes": routes, "keys": dict(_keys), "total": sum(_routes.values())}


def reset():
    with _lock:
        _routes.clear()
        _keys.clear()
