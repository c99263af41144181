"""The studio's benchmarks: `make bench`. Figures go to bench/results.json and a table is printed.

Each figure is measured on real parts: gunicorn serving the studio and its sandbox over loopback
(with gunicorn.conf.py, as `make serve` runs it), a real django-q2 cluster, a throwaway SQLite
database (or DATABASE_URL / REDIS_URL when set). Everything runs on this machine, on loopback,
bounded in count and time.

Sections (`python bench/run.py [section ...]` runs only some; the others keep their last figures;
`python bench/run.py --help` lists them with what each measures): one module each in bench/sections/,
named as the section, whose function of the same name takes the running stack (bench/common.py) and
returns the section's figures, and whose EXPLAIN rows say which of them the table shows and their
limits. The stack is started once and the sections run in the order of SECTIONS; results.json is written
after each.
"""

import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Stack  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
SECTIONS = ["poll_endpoint", "sixty_second_generation", "sweeper", "download", "library"]
SECTIONS.append("export")  # the library export (bench/sections/export.py)
SECTIONS.append("queue")  # the studio's queue at scale (bench/sections/queue.py)
SECTIONS.append("storyboard_export")  # stitching a storyboard (bench/sections/storyboard_export.py)
# The order of the printed table, as it has always been (the sections run in the order of SECTIONS).
TABLE = ["poll_endpoint", "sweeper", "sixty_second_generation", "library", "download", "export", "queue"]
TABLE.append("storyboard_export")


def section(name):
    """The section's module, bench/sections/<name>.py."""
    return importlib.import_module(f"bench.sections.{name}")


def verdict(check, value, results):
    if check is None or not isinstance(value, int | float):
        return ""
    ok = check(value, results) if check.__code__.co_argcount == 2 else check(value)
    return "ok  " if ok else "MISS"


def print_table(results):
    print(f"\nResults in {RESULTS.relative_to(ROOT)} ({results['machine']}, {results['when']})\n")
    explain = [row for name in TABLE for row in section(name).EXPLAIN]
    for part, name, sentence, check in explain:
        value = results.get(part, {}).get(name, "-")
        shown = value if isinstance(value, int | float) else "-"
        print(f"  {verdict(check, value, results):4} {part + '.' + name:<42} {shown!s:>9}   {sentence}")


def print_help():
    """This docstring, then each section with its module's docstring (what it measures)."""
    print(__doc__)
    for name in SECTIONS:
        text = " ".join(section(name).__doc__.split())
        lines = textwrap.wrap(text[0].lower() + text[1:], width=75, break_on_hyphens=False)
        print(f"  {name:<24} " + "\n".join([lines[0], *(" " * 27 + line for line in lines[1:])]))


def main(argv):
    if {"-h", "--help"} & set(argv):
        print_help()
        return
    chosen = argv or SECTIONS
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"Unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(
        {
            "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite",
            "broker": "Redis" if os.environ.get("REDIS_URL") else "database",
        }
    )
    if shutil.which("wrk") is None and "poll_endpoint" in chosen:
        raise SystemExit("The poll endpoint figure needs wrk: 'make bench' installs it, or apt-get install wrk.")
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as workdir:
        stack = Stack(Path(workdir))
        stack.start()
        try:
            stack.django()
            for name in SECTIONS:
                if name in chosen:
                    print(f"== {name}", flush=True)
                    results[name] = getattr(section(name), name)(stack)
                    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        finally:
            stack.stop()
    print_table(results)


if __name__ == "__main__":
    main(sys.argv[1:])
