"""The harnesses' self-test: hung tests must fail fast, by name, and leave no process behind.

run.py --self-test runs the e2e runner on selftest_hang.py (short deadlines,
a short grace) and scripts/run-unit.sh on a unit binary that never ends, then
checks what each printed, how long it took and that nothing they started is
still alive. Prints one line per check and 'e2e-selftest: N passed, N failed'.
The runners' own output is indented so that scripts/test.sh does not count its
summary lines."""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main(a):
    results = []

    def check(cond, what, detail=""):
        results.append(bool(cond))
        print("%s %s%s" % ("ok  " if cond else "FAIL", what, "" if cond else ": " + detail), flush=True)

    with tempfile.TemporaryDirectory(prefix="e2e-selftest-") as tmp:
        pids = os.path.join(tmp, "pids")
        open(pids, "w").close()
        cmd = [sys.executable, os.path.join(HERE, "run.py"), "--bin", a.bin, "--pg-url", a.pg_url,
               "--pg-dir", a.pg_dir, "--modules", "selftest_hang", "--no-areas", "--timeout-scale", "1",
               "--grace", "3"]
        env = dict(os.environ, E2E_SELFTEST_PIDS=pids)
        t0 = time.time()
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            out, rc = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b"").decode(errors="replace"), None
        took = time.time() - t0
        print("".join("  | " + line + "\n" for line in out.splitlines()), end="")
        started = [(w, int(pid)) for w, pid in (line.split() for line in open(pids))]

        check(rc == 1, "the e2e runner exits 1", "exit %r" % rc)
        check(took < 90, "the e2e runner ends within 90 s (deadlines 3+3+2 s, grace 3 s)", "took %.0f s" % took)
        check("FAIL selftest_hang.a_hung_test_is_named" in out and "deadline of 3 s passed" in out,
              "the hung test fails by name, with its deadline")
        check("ok   selftest_hang.the_next_test_runs" in out, "the run goes on to the next test")
        check("TIMEOUT selftest_hang.a_test_that_will_not_unwind did not unwind" in out,
              "a test that swallows its deadline is named by the hard watchdog")
        check("never_reached" not in out and not any(w == "never_reached" for w, _ in started),
              "the run stops after it (the last test never runs)")
        check("e2e: stopped with 1 test(s) not run" in out and "e2e: 1 passed, 2 failed" in out,
              "the summary counts both hung tests as failed and says what did not run")
        want = {"daemon", "helper", "helper2"}
        check(want <= {w for w, _ in started}, "the hung tests started their daemon and helpers", str(started))
        left = [(w, pid) for w, pid in started if w != "never_reached" and alive(pid)]
        check(not left, "no daemon or helper outlives the run", str(left))
        for _, pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass

        # A unit binary that never ends: scripts/run-unit.sh must name it and go on.
        hang = os.path.join(tmp, "test_hangs_forever")
        with open(hang, "w") as f:
            f.write("#!/bin/sh\nexec sleep 600\n")
        os.chmod(hang, 0o755)
        ok = os.path.join(tmp, "test_passes")
        with open(ok, "w") as f:
            f.write("#!/bin/sh\necho '[  PASSED  ] 1 test(s).'\n")
        os.chmod(ok, 0o755)
        t0 = time.time()
        p = subprocess.run([os.path.join(ROOT, "scripts", "run-unit.sh"), hang, ok], capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, UNIT_TIMEOUT_S="1",
                                                           CONSULTD_TEST_TIMEOUT_SCALE="1"))
        took = time.time() - t0
        out = p.stdout + p.stderr
        print("".join("  | " + line + "\n" for line in out.splitlines()), end="")
        check(p.returncode != 0, "run-unit.sh fails when a binary hangs", "exit %d" % p.returncode)
        check("TIMEOUT %s" % hang in out, "run-unit.sh names the hung binary")
        check("unit: 1 passed, 1 failed" in out, "run-unit.sh runs the next binary and counts the hang as failed")
        check(took < 20, "run-unit.sh gives up on it within its limit", "took %.0f s" % took)

    passed = sum(results)
    print("e2e-selftest: %d passed, %d failed" % (passed, len(results) - passed), flush=True)
    return 0 if all(results) else 1
