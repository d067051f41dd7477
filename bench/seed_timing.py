"""Time `seed_demo --leads N` on a scratch database (SQLite by default, or $BENCH_DATABASE_URL).

python bench/seed_timing.py --leads 100000
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        began = time.perf_counter()
        subprocess.run(
            [*manage, "seed_demo", "--leads", str(args.leads), "--seed", str(args.seed), "--force"],
            env=env,
            check=True,
        )
        seconds = time.perf_counter() - began
    engine = url.split(":", 1)[0]
    print(f"seed_demo --leads {args.leads:,} on {engine}: {seconds:.1f} s wall clock")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
