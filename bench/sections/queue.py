"""The studio's queue at scale (bench/queue_worker.py, on a scratch database of its own): 2,000 waiting videos
from 200 creators behind a valve of 20; the lag from a slot freeing to the dispatcher handing it out (p50,
p95), the dispatcher's queries per slot with 200 and with 2,000 waiting, the fairness figure, and whether the
database answers its per-model question from the gen_ready index.
"""

import json
import subprocess
import sys

from bench.common import ROOT


def scratch_database(stack, suffix):
    """(DATABASE_URL, drop) of an empty database beside the stack's: a SQLite file in its folder, or a
    PostgreSQL database named after the stack's own (created here, dropped by `drop`)."""
    url = stack.env["DATABASE_URL"]
    if not url.startswith("postgres"):
        path = stack.workdir / f"{suffix}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"

    def execute(sql):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}"')
    execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: execute(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


def queue(stack, creators=200, per_creator=10, cap=20, slots=500):
    """The dispatcher at scale, in a fresh process on a scratch database (no cluster on it, so no sweeper
    hands slots out behind its back): see bench/queue_worker.py for what is measured and how."""
    url, drop = scratch_database(stack, "queue")
    env = {**stack.env, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)  # its tasks go to the scratch database's broker table, where nobody takes them
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "queue_worker.py"), *map(str, (creators, per_creator, cap, slots))],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        drop()
    if out.returncode != 0:
        raise RuntimeError(f"The queue worker failed:\n{out.stderr[-3000:]}")
    figures = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    small, large = figures["small"], figures["large"]
    return {
        "creators": creators,
        "waiting": large["waiting"],
        "cap": cap,
        "slots_handed_out": large["slots"],
        "lag_p50_ms": large["lag_p50_ms"],
        "lag_p95_ms": large["lag_p95_ms"],
        "lag_max_ms": large["lag_max_ms"],
        "fairness_excess_slots": large["fairness_excess_slots"],
        "queries_per_slot_200_waiting": small["queries_per_slot"],
        "queries_per_slot_2000_waiting": large["queries_per_slot"],
        "lag_p95_ms_200_waiting": small["lag_p95_ms"],
        "head_query_uses_gen_ready": figures["head_query_uses_gen_ready"],
        "head_query_plan": figures["head_query_plan"],
    }


EXPLAIN = [
    (
        "queue",
        "lag_p95_ms",
        "Milliseconds from a slot freeing to the next video handed it, 2,000 waiting behind 20 (p95); "
        "limit: under 1,000.",
        lambda v: v < 1000,
    ),
    ("queue", "lag_p50_ms", "The same lag's median.", None),
    (
        "queue",
        "fairness_excess_slots",
        "Most slots any of 200 creators waited beyond one round of the others; limit: 0 (round-robin).",
        lambda v: v == 0,
    ),
    (
        "queue",
        "queries_per_slot_2000_waiting",
        "The dispatcher's queries per slot with 2,000 waiting; limit: as with 200 waiting.",
        lambda v, r: v <= r["queue"]["queries_per_slot_200_waiting"],
    ),
]
