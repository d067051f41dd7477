"""Time `import_opportunities` of N made-up deals on a scratch database (SQLite by default, or
$BENCH_DATABASE_URL). The issue's budget: 10,000 rows in under 15 s on SQLite.

python bench/deal_import_timing.py --deals 10000
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
    parser.add_argument("--deals", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        csv_path = Path(scratch) / "deals.csv"
        with csv_path.open("w", encoding="utf-8") as out:
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "make_deals_csv.py"), str(args.deals)],
                stdout=out,
                check=True,
            )
        began = time.perf_counter()
        subprocess.run(
            [
                *manage,
                "import_opportunities",
                str(csv_path),
                "--create-users",
                "--dayfirst",
                "--stage-map",
                "Prospecting=discovery",
                "--stage-map",
                "Engaging=demo",
            ],
            env=env,
            check=True,
        )
        seconds = time.perf_counter() - began
    engine = url.split(":", 1)[0]
    print(f"import_opportunities of {args.deals:,} deals on {engine}: {seconds:.1f} s wall clock")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
