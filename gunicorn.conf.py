"""gunicorn's settings for the studio's web servers (`make serve`; gunicorn reads this file from the
working directory). Each knob comes from the environment and is documented in .env.example.

Threads, not more processes: a request mostly waits on the database, and the poller's answers are
small. Workers are recycled now and then so a slow leak can never grow without bound.
"""

import os

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("WEB_THREADS") or 4)
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
# Every open dashboard asks once a second, so recycling must be rare: a worker restarting is a second
# or so of a core spent importing Django again. 0 turns it off (the benchmark does, to measure evenly).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS") or 50_000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket is one per user by default: two servers on a machine (a web server and a
# benchmark, or two checkouts) would fight over it. The studio does not use it.
control_socket_disable = True
