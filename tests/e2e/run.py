#!/usr/bin/env python3
"""Runs the end-to-end tests: python3 tests/e2e/run.py --bin daemon/consultd --pg-url URL --pg-dir DIR

--pg-url names any database on the test PostgreSQL server (a fresh database is
created beside it); --pg-dir is that server's directory for scripts/pg.sh, used
by the test that stops and restarts PostgreSQL. -k SUBSTRING picks tests.

Each test has a deadline (harness.DEFAULT_TIMEOUT_S unless the test sets its
own), multiplied by --timeout-scale (scripts/test.sh passes a larger one for
the ASan+UBSan build). A test that passes its deadline fails by name, every
process the runner started is killed, and the run goes on; one that will not
unwind even then stops the run (see watchdog.py). --self-test checks exactly
that on deliberately hung tests (selftest.py)."""
import argparse
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

MODULES = ["test_cli", "test_service", "test_auth", "test_consultations", "test_bad_input", "test_lists",
           "test_overlaps", "test_explanations", "test_text_weights", "test_register", "test_area_files",
           "test_import", "test_alerts", "test_digests", "test_subscription_changes", "test_ops", "test_outage",
           "test_http_framing", "test_public", "test_scope_limits", "test_reads", "test_calendar_churn",
           "test_calendar_large"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--pg-url", required=True)
    ap.add_argument("--pg-dir", required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    ap.add_argument("-k", default="", help="run only the tests whose module.name contains this")
    ap.add_argument("--timeout-scale", type=float, default=None,
                    help="multiply every deadline by this (default: $CONSULTD_TEST_TIMEOUT_SCALE or 1)")
    ap.add_argument("--grace", type=float, default=harness.GRACE_S,
                    help="seconds a timed-out test may take to unwind before the run stops (default %(default)s)")
    ap.add_argument("--modules", default=",".join(MODULES), help="comma-separated test modules to load")
    ap.add_argument("--no-areas", action="store_true", help="skip importing the ONS area files")
    ap.add_argument("--self-test", action="store_true",
                    help="check the deadlines themselves on deliberately hung tests, then exit")
    a = ap.parse_args()
    if a.timeout_scale is not None:
        os.environ["CONSULTD_TEST_TIMEOUT_SCALE"] = str(a.timeout_scale)
    harness.GRACE_S = a.grace
    if a.self_test:
        import selftest
        sys.exit(selftest.main(a))

    env = harness.Env(a.bin, a.pg_url, a.pg_dir, os.path.abspath(a.data))

    def setup(e):
        e.create_database()
        e.cli("migrate")
        if not a.no_areas:
            ons = os.path.join(e.data_dir, "ons")
            e.cli("areas", "import", *[os.path.join(ons, f) for f in sorted(os.listdir(ons)) if f.endswith(".csv")])

    for m in a.modules.split(","):
        importlib.import_module(m)
    tests = [t for t in harness.TESTS if a.k in "%s.%s" % (t.__module__, t.__name__)]
    ok = harness.run(env, tests, setup)
    sys.stdout.flush()
    # A test that timed out may have left threads blocked on dead daemons: do not wait for them.
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
