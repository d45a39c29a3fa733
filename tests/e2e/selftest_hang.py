"""Deliberately hung tests, loaded only by the harness's self-test (selftest.py).

The first hangs until its deadline; the second must still run, and finds
nothing the first started alive; the third
swallows its deadline and hangs again, which must stop the run; the fourth must
never run. Each writes the pids of what it started to $E2E_SELFTEST_PIDS."""
import os
import subprocess
import threading
import time

import watchdog
from harness import test


def note(what, pid):
    with open(os.environ["E2E_SELFTEST_PIDS"], "a") as f:
        f.write("%s %d\n" % (what, pid))


@test(timeout=3)
def a_hung_test_is_named(env):
    d = env.daemon()
    note("daemon", d.proc.pid)
    helper = subprocess.Popen(["sleep", "600"])
    note("helper", helper.pid)
    threading.Event().wait()  # forever, but for the deadline


@test(timeout=3)
def the_next_test_runs(env):
    with open(os.environ["E2E_SELFTEST_PIDS"]) as f:
        for what, pid in (line.split() for line in f):
            if watchdog.descendants(int(pid)) or os.path.exists("/proc/%s" % pid) and \
                    open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z":
                raise AssertionError("the hung test's %s (pid %s) is still running" % (what, pid))
    r = env.daemon().request("GET", "/healthz")
    if r.status != 200:
        raise AssertionError("a fresh daemon after the hung test: %r" % r)


@test(timeout=2)
def a_test_that_will_not_unwind(env):
    helper = subprocess.Popen(["sleep", "600"], start_new_session=True)
    note("helper2", helper.pid)
    while True:
        try:
            time.sleep(600)
        except BaseException:  # swallows the deadline: only the hard watchdog can end this
            pass


@test
def never_reached(env):
    note("never_reached", os.getpid())
