"""Deadlines for tests, so that a hang names itself instead of stalling CI.

Two guards, one inside the other:
- a per-test deadline (an ITIMER_REAL alarm in the main thread) raises
  Deadline in the test, which fails by name; the runner then kills every
  process it started (daemons by process group, helpers too) and goes on;
- a hard watchdog (a thread) fires when a test has not unwound within a grace
  period after its deadline (it swallowed Deadline, or its clean-up hangs).
  The run's state can then no longer be trusted, so the watchdog names the
  test, kills every process the runner started, prints the summary line and
  ends the process with status 1: it never goes on to the next test.

Every limit is multiplied by one factor, CONSULTD_TEST_TIMEOUT_SCALE (default
1; run.py --timeout-scale sets it): scripts/test.sh raises it for the
ASan+UBSan build, which runs several times slower. scripts/run-unit.sh reads
the same variable.
"""
import os
import signal
import threading
import time


class Deadline(BaseException):
    """A test's deadline passed. A BaseException, so that a test's own
    `except Exception` cannot swallow it."""


def scale():
    try:
        s = float(os.environ.get("CONSULTD_TEST_TIMEOUT_SCALE") or 1)
    except ValueError:
        s = 1.0
    return s if s > 0 else 1.0


def _ppid_and_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[1]), rest[0]
    except (OSError, IndexError, ValueError):
        return None, None


def descendants(root=None):
    """The live (not zombie) descendants of root (default: this process), parents first."""
    root = root or os.getpid()
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            ppid, state = _ppid_and_state(int(name))
            if ppid is not None and state != "Z":
                kids.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid):
    ppid, state = _ppid_and_state(pid)
    return ppid is not None and state != "Z"


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "?"


def kill_descendants(grace_s=5.0):
    """SIGTERM every process this one started (the whole process group of a
    group leader, such as a daemon started with start_new_session), then
    SIGKILL what is left after grace_s. Returns ["pid cmdline", ...] of those
    signalled. Zombies are left for their Popen object to reap."""
    pids = descendants()
    named = ["%d %s" % (p, cmdline(p)) for p in pids]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                if os.getpgid(p) == p:
                    os.killpg(p, sig)
                else:
                    os.kill(p, sig)
            except OSError:
                pass
        end = time.time() + grace_s
        while time.time() < end and any(_alive(p) for p in pids):
            time.sleep(0.05)
        pids = [p for p in pids if _alive(p)] + [p for p in descendants() if p not in pids]
        if not pids:
            break
    return named


def arm(seconds, name):
    """Raises Deadline in the main thread after `seconds` (0 disarms)."""
    def expired(*_):
        raise Deadline("%s: deadline of %.0f s passed" % (name, seconds))
    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.0))


def disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


class Hard:
    """The hard watchdog: one daemon thread; arm(name, seconds) before each
    test, disarm() after. On expiry it calls on_expiry(name), which must not
    return (it ends the process)."""

    def __init__(self, on_expiry):
        self.on_expiry = on_expiry
        self.cv = threading.Condition()
        self.name = None
        self.at = None
        threading.Thread(target=self._loop, daemon=True, name="watchdog").start()

    def arm(self, name, seconds):
        with self.cv:
            self.name, self.at = name, time.monotonic() + seconds
            self.cv.notify()

    def disarm(self):
        with self.cv:
            self.name = self.at = None
            self.cv.notify()

    def _loop(self):
        with self.cv:
            while True:
                if self.at is None:
                    self.cv.wait()
                elif time.monotonic() >= self.at:
                    name, self.at = self.name, None
                    self.cv.release()
                    try:
                        self.on_expiry(name)
                    finally:
                        os._exit(1)
                else:
                    self.cv.wait(self.at - time.monotonic())
