#!/usr/bin/env python3
"""Runs the end-to-end tests: python3 tests/e2e/run.py --bin daemon/consultd --pg-url URL --pg-dir DIR

--pg-url names any database on the test PostgreSQL server (a fresh database is
created beside it); --pg-dir is that server's directory for scripts/pg.sh, used
by the test that stops and restarts PostgreSQL. -k SUBSTRING picks tests."""
import argparse
import importlib
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MODULES = ["test_cli", "test_service", "test_auth", "test_consultations", "test_bad_input", "test_lists",
           "test_overlaps", "test_explanations", "test_text_weights", "test_register", "test_area_files",
           "test_import", "test_alerts", "test_digests", "test_ops", "test_outage", "test_http_framing", "test_public"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--pg-url", required=True)
    ap.add_argument("--pg-dir", required=True)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    ap.add_argument("-k", default="")
    a = ap.parse_args()

    # A hung daemon or test must not stall CI: the whole run has 15 minutes.
    signal.signal(signal.SIGALRM, lambda *_: (print("e2e: watchdog expired", flush=True), os._exit(1)))
    signal.alarm(900)

    env = harness.Env(a.bin, a.pg_url, a.pg_dir, os.path.abspath(a.data))
    env.create_database()
    env.cli("migrate")
    ons = os.path.join(env.data_dir, "ons")
    env.cli("areas", "import", *[os.path.join(ons, f) for f in sorted(os.listdir(ons)) if f.endswith(".csv")])
    for m in MODULES:
        importlib.import_module(m)
    tests = [t for t in harness.TESTS if a.k in "%s.%s" % (t.__module__, t.__name__)]
    ok = harness.run(env, tests)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
