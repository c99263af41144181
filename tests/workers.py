"""Each pytest-xdist worker gets shared services of its own, before Django reads its settings.

`make test` runs the suite in several workers (pytest-xdist). Databases are apart already
(pytest-django names each worker's test database), and each test has its own cache key prefix;
what is left is shared by name: the Redis database (a test may clear it, and the django-q2 broker's
queue lives there) and the sandbox's folder of rendered files (which it trims by count). Loaded with
`-p tests.workers` (pyproject.toml), so it runs before pytest-django sets Django up, in every worker
and in the processes their tests start, which inherit the environment.
"""

import os
import re

worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... in a worker; unset otherwise

if number := re.fullmatch(r"gw(\d+)", worker):
    n = int(number.group(1))
    if redis_url := os.environ.get("REDIS_URL"):
        base = re.match(r"(.*?)(?:/(\d+))?$", redis_url)
        os.environ["REDIS_URL"] = f"{base.group(1)}/{(int(base.group(2) or 0) + 1 + n) % 16}"
    os.environ.setdefault(
        "PIXAPI_SANDBOX_DIR", os.path.join(os.path.dirname(__file__), "..", "var", f"sandbox-{worker}")
    )
    os.environ["Q_CLUSTER_NAME"] = f"studio-{worker}"
