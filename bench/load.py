"""Handoff under concurrent load: reps reading their inbox, managers reading a report and
visitors sending a campaign's public form, all at once, for a fixed time.

    python bench/load.py                              # SQLite, then PostgreSQL: 60 s each
    python bench/load.py --engine postgres --users 30 --seconds 120

For each engine it
  1. seeds a database with `seed_demo --leads N` (100,000 by default) once, under bench/data/
     (PostgreSQL: a cluster of its own on 127.0.0.1, as bench/harness.py starts it), and runs
     against a copy of it, so every run starts from the same data;
  2. serves the app as in production: gunicorn, 2 workers, DJANGO_DEBUG=0, on 127.0.0.1, told
     it sits behind one TLS proxy (the load generator plays the proxy);
  3. runs locust (bench/locustfile.py) headless: USERS simulated people in the mix
     reps 3 : managers 1 : visitors 2 (0.5–2 s between requests; each visitor is a new person
     from a new address), plus one bot posting the form from one address 5 times a second;
     counting for SECONDS from WARMUP seconds after the last person signed in;
  4. prints, per kind of request, how many were served, failures, p50 / p99 latency and
     throughput, with the form's rate-limited answers counted apart, and writes them as JSON
     to bench/results/load-<engine>-<date>.json. Exits 1 if any request failed.
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # the same seeding, cluster and server as the page benchmarks

ROOT = harness.ROOT
LOCUST = Path(sys.executable).with_name("locust")
RUN_DB = "handoff_load_run"

FIXTURES = """
from campaigns.models import Campaign
campaign = next(c for c in Campaign.objects.order_by("-pk") if c.accepts_submissions)
out = {"campaign": campaign.slug}
"""


def pg_admin(port: int, sql: str) -> None:
    subprocess.run(
        harness.as_postgres_user(
            [
                *(harness.pg_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"),
                *("-v", "ON_ERROR_STOP=1", "-qc", sql),
            ]
        ),
        check=True,
    )


class Scratch:
    """A copy of the seeded database for one run, removed afterwards."""

    def __init__(self, engine: str, args):
        self.engine, self.args = engine, args
        if engine == "sqlite":
            seeded = Path(args.sqlite_db).resolve()
            self.url = f"sqlite:///{seeded}"
        else:
            harness.DB = args.pg_db  # the seeded database's name in the cluster
            self.url = harness.start_postgres(Path(args.pg_dir), args.pg_port)

    def seed(self) -> dict:
        env = {**os.environ, "DATABASE_URL": self.url, "DJANGO_DEBUG": "1"}
        return harness.prepare(env, self.engine, self.args.leads)

    def copy(self) -> str:
        if self.engine == "sqlite":
            seeded = Path(self.args.sqlite_db).resolve()
            self.copied = seeded.with_name(seeded.stem + "-run.sqlite3")
            self.drop()  # what a stopped run left
            # `manage.py backup`: SQLite's online backup API, a consistent copy.
            env = {**os.environ, "DATABASE_URL": self.url, "DJANGO_DEBUG": "1"}
            harness.manage(env, "backup", str(self.copied), capture=True)
            return f"sqlite:///{self.copied}"
        pg_admin(self.args.pg_port, f"DROP DATABASE IF EXISTS {RUN_DB}")
        pg_admin(self.args.pg_port, f"CREATE DATABASE {RUN_DB} TEMPLATE {self.args.pg_db}")
        return f"postgres://postgres@127.0.0.1:{self.args.pg_port}/{RUN_DB}"

    def drop(self) -> None:
        if self.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.copied}{suffix}").unlink(missing_ok=True)
        else:
            pg_admin(self.args.pg_port, f"DROP DATABASE IF EXISTS {RUN_DB}")


def run_locust(server, fixtures: dict, args, out: Path) -> dict:
    """Run the load; return the CPU seconds each part used in the measured time."""
    port = server.port
    env = {
        **os.environ,
        "LOAD_CAMPAIGN": fixtures["campaign"],
        "LOAD_REPORT": args.report,
        "LOAD_PASSWORD": harness.PASSWORD,
        "LOAD_WARMUP": str(args.warmup),
        "LOAD_SECONDS": str(args.seconds),
        "LOAD_MARK": str(out / "measuring"),
    }
    command = [
        str(LOCUST),
        *("-f", str(ROOT / "bench" / "locustfile.py")),
        "--headless",
        *("--host", f"http://127.0.0.1:{port}"),
        *("--users", str(args.users), "--spawn-rate", str(args.users)),
        # An upper bound only: the locustfile stops the run once it has measured long enough.
        *("--run-time", f"{args.warmup + args.seconds + 600}s", "--stop-timeout", "10"),
        *("--csv", str(out / "load"), "--only-summary", "--loglevel", "WARNING"),
        "--exit-code-on-error",
        "0",
    ]
    locust = subprocess.Popen(command, env=env, cwd=ROOT)
    while not (out / "measuring").exists():  # everyone signed in, and the warm-up over
        if locust.poll() is not None:
            sys.exit(f"locust stopped before measuring ({locust.returncode})")
        time.sleep(0.2)
    meter = CpuMeter(server, locust.pid)
    code = locust.wait()
    used = meter.stop()
    if code != 0:
        sys.exit(f"locust failed ({code})")
    return used


TICK = os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """The CPU time used by the app's gunicorn processes, PostgreSQL's, the load generator and
    the whole machine while it runs. Read once a second, process by process: a process that
    ends meanwhile (a database connection closed after DJANGO_CONN_MAX_AGE) keeps what it used
    up to its last reading."""

    def __init__(self, server, locust: int):
        self.server, self.locust = server, locust
        self.first, self.last = {}, {}  # pid -> (group, seconds)
        self.began, self.machine = time.monotonic(), self._machine()
        self.done = threading.Event()
        self.sample()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.wait(1.0):
            self.sample()

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        self.sample()
        used = {"gunicorn": 0.0, "postgres": 0.0, "locust": 0.0}
        for pid, (group, seconds) in self.last.items():
            used[group] += seconds - self.first.get(pid, (group, 0.0))[1]
        used["machine busy"] = self._machine() - self.machine
        used["elapsed"] = time.monotonic() - self.began
        return {group: round(seconds, 1) for group, seconds in used.items()}

    def sample(self) -> None:
        workers = {self.server.process.pid, *self.server.worker_pids()}
        started = not self.last  # the first reading: what each used before is left out
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # gone meanwhile
            pid, command = int(stat.parent.name), text[text.index("(") + 1 : text.rindex(")")]
            if pid in workers:
                group = "gunicorn"
            elif command in ("postgres", "postmaster"):
                group = "postgres"
            elif pid == self.locust:
                group = "locust"
            else:
                continue
            fields = text.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
            self.first.setdefault(pid, (group, seconds if started else 0.0))
            self.last[pid] = (group, seconds)

    @staticmethod
    def _machine() -> float:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
        return (sum(fields) - fields[3] - fields[4]) / TICK  # all but idle and iowait


def read_stats(out: Path) -> list[dict]:
    rows = []
    with (out / "load_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            if row["Request Count"] == "0":  # made only in the warm-up (signing in)
                continue
            rows.append(
                {
                    "request": row["Name"],
                    "method": row["Type"],
                    "served": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"]),
                    "p99_ms": float(row["99%"]),
                    "max_ms": round(float(row["Max Response Time"])),
                    "per_second": round(float(row["Requests/s"]), 1),
                }
            )
    failures = []
    if (out / "load_failures.csv").exists():
        with (out / "load_failures.csv").open() as found:
            failures = [
                {"request": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
                for r in csv.DictReader(found)
            ]
    return rows, failures


def print_table(engine: str, extra: dict, rows: list[dict]) -> None:
    print(
        f"\n{engine}: {extra['leads']:,} leads, {extra['users']} users + 1 form flooder, "
        f"{extra['seconds']} s from {extra['warmup']} s after the last sign-in, gunicorn "
        f"{extra['workers']} workers; the form captured {extra['captured']} leads in all"
    )
    print(f"{'request':32} {'served':>8} {'failed':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for row in rows:
        print(
            f"{row['request']:32} {row['served']:>8} {row['failures']:>7} "
            f"{row['p50_ms']:>8.0f} {row['p99_ms']:>8.0f} {row['per_second']:>7}"
        )
    cpu = dict(extra["cpu_seconds"])
    elapsed = cpu.pop("elapsed")
    print(
        f"CPU seconds in the {elapsed:.0f} s measured ({os.cpu_count()} cores: "
        f"{elapsed * os.cpu_count():.0f} available): "
        + ", ".join(f"{group} {seconds:.1f}" for group, seconds in cpu.items())
    )


def run_engine(engine: str, args) -> dict:
    scratch = Scratch(engine, args)
    extra = {
        "engine": engine,
        "users": args.users,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "workers": 2,
    }
    extra.update(scratch.seed())
    url = scratch.copy()
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "1",
            "DJANGO_EMAIL_BACKEND": harness.QUIET_MAIL,
        }
        fixtures = harness.django_json(env, FIXTURES)
        extra["leads"] = harness.django_json(
            env, "from leads.models import Lead\nout = Lead.objects.count()"
        )
        server = harness.Server({**env, "DJANGO_BEHIND_TLS_PROXY": "1"})
        try:
            with tempfile.TemporaryDirectory() as scratch_dir:
                extra["cpu_seconds"] = run_locust(server, fixtures, args, Path(scratch_dir))
                rows, failures = read_stats(Path(scratch_dir))
        finally:
            server.stop()
        if failures:  # what the server said about them
            server.log.seek(0)
            said = [line for line in server.log if "[INFO]" not in line]
            print("".join(said[:30]), end="")
        extra["captured"] = harness.django_json(
            env,
            "from leads.models import Lead\n"
            "out = Lead.objects.filter(email__endswith='@load.example').count()",
        )
    finally:
        scratch.drop()
    print_table(engine, extra, rows)
    if failures:
        print(
            "Failures:\n  "
            + "\n  ".join(f"{f['count']}× {f['request']}: {f['error']}" for f in failures)
        )
    result = {**extra, "requests": rows, "failures": failures}
    path = harness.write_results(f"load-{engine}", result)
    print(f"written to {path.relative_to(ROOT)}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=24, help="simulated people (and one bot)")
    parser.add_argument("--seconds", type=int, default=60, help="measured, after the warm-up")
    parser.add_argument(
        "--warmup", type=int, default=5, help="seconds after the last sign-in before counting"
    )
    parser.add_argument("--report", default="/reports/funnel/", help="the managers' report")
    parser.add_argument("--sqlite-db", default=str(harness.DATA / "load-100k.sqlite3"))
    parser.add_argument("--pg-dir", default=str(harness.DATA / "postgres"))
    parser.add_argument("--pg-port", type=int, default=55433)
    parser.add_argument("--pg-db", default="handoff_load", help="the seeded database's name")
    args = parser.parse_args()
    if not LOCUST.exists():
        sys.exit("locust is not installed: make load installs it (pip install '.[bench]').")
    if shutil.which("runuser") is None and os.geteuid() == 0:
        sys.exit("runuser is needed to run PostgreSQL as the postgres user.")
    failed = 0
    for engine in args.engine or ["sqlite", "postgres"]:
        result = run_engine(engine, args)
        failed += sum(row["failures"] for row in result["requests"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
