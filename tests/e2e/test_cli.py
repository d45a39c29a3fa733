"""The command line: configuration errors, migrations, organisations, keys, area import."""
import os
import subprocess
import tempfile
import threading

import harness
from harness import test, eq, check


@test
def no_configuration_says_what_to_set(env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTD_")}
    p = env.cli("migrate", env=e, check=False)
    eq(p.returncode, 2, "exit status")
    check("CONSULTD_DATABASE_URL" in p.stderr, p.stderr)
    eq(len(p.stderr.strip().splitlines()), 1, "one line on stderr")


@test
def config_errors_name_the_key_and_exit_2(env):
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("[database]\nurl = %s\n[overlap]\nwindow_days = 9999\n" % env.db_url)
    p = env.cli("-c", f.name, "check-config", check=False, env={"PATH": os.environ["PATH"]})
    eq(p.returncode, 2)
    check("overlap.window_days" in p.stderr and "9999" in p.stderr, p.stderr)
    p = env.cli("check-config", extra_env={"CONSULTD_SERVER_TIMEOUT": "5"}, check=False)
    eq(p.returncode, 2)
    check("CONSULTD_SERVER_TIMEOUT" in p.stderr, p.stderr)
    p = env.cli("-c", "/nonexistent.conf", "check-config", check=False)
    eq(p.returncode, 2)
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("[database]\nurl = postgresql://u:hunter2@h/db\n[alerts]\nallow_private_targets = true\n")
    p = env.cli("-c", f.name, "check-config", env={"PATH": os.environ["PATH"]})
    check("allow_private_targets = true" in p.stdout, p.stdout)
    check("hunter2" not in p.stdout, "password masked")


@test
def usage_errors_exit_2(env):
    eq(env.cli("frobnicate", check=False).returncode, 2)
    eq(env.cli("org", "add", check=False).returncode, 2)
    eq(env.cli("org", "add", "--name", "X", "--kind", "bank", check=False).returncode, 2)
    eq(env.cli("key", "add", "--org", "nope", "--role", "partner", check=False).returncode, 2)
    eq(env.cli("key", "add", "--org", "01a20257-a418-7ff3-91b2-bcfe381f2f64", "--role", "king", check=False).returncode, 2)
    p = env.cli("key", "add", "--org", "01a20257-a418-7ff3-91b2-bcfe381f2f64", "--role", "partner", check=False)
    eq(p.returncode, 1, "unknown organisation is a runtime failure")
    eq(p.stdout, "", "no token printed on failure")
    help_ = env.cli("--help")
    for word in ("migrate", "org add", "key add", "key revoke", "areas import", "check-config"):
        check(word in help_.stdout, "--help mentions " + word)
    check(env.cli("--version").stdout.startswith("consultd "))


@test
def key_add_prints_only_the_token_and_stores_a_hash(env):
    org = env.org("Hash Check Council")
    token = env.key(org, "coordinator")
    check(token.startswith("cdk_") and "\n" not in token and len(token) == 80, token)
    stored = env.psql("SELECT encode(secret_hash, 'hex') FROM api_keys WHERE organisation_id = '%s'" % org)
    eq(len(stored), 64)
    secret = token.split("_", 2)[2]  # base64url: the secret itself may contain "_"
    check(secret not in stored and stored not in token, "the secret is not stored")


@test
def migrate_is_idempotent_and_safe_to_race(env):
    url = env.create_database(env.dbname + "_race")
    procs = [subprocess.Popen([env.binary, "migrate"], env=env.env(db_url=url), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (_, err) in zip(procs, outs):
        eq(p.returncode, 0, "racing migrate: " + err)
        env.check_sanitizer(err, "migrate race")
    shipped = len([f for f in os.listdir(os.path.join(os.path.dirname(__file__), "..", "..", "schema"))
                   if f.endswith(".sql")])
    eq(env.psql("SELECT count(*) FROM schema_migrations", url), str(shipped), "each migration applied once")
    eq(env.psql("SELECT count(*) FROM vocab_terms WHERE vocabulary = 'topics'", url), "82")
    p = env.cli("migrate", db_url=url)
    check("0 applied" in p.stderr, p.stderr)
    # a changed migration is detected
    env.psql("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1", url)
    p = env.cli("migrate", db_url=url, check=False)
    eq(p.returncode, 1)
    check("changed after it was applied" in p.stderr, p.stderr)


@test
def areas_import_real_ons_files(env):
    # run.py imported all three published files at start-up
    eq(env.psql("SELECT count(*) FROM areas WHERE level = 'ward'"), "8887")
    eq(env.psql("SELECT name FROM areas WHERE code = 'E06000019'"), "Herefordshire, County of")
    # ward -> district -> county -> region: Ashford ward in Kent reaches South East
    ward = env.psql("SELECT a.code FROM areas a JOIN area_parents p ON p.code = a.code "
                    "WHERE p.parent = 'E07000105' AND a.level = 'ward' LIMIT 1")
    anc = env.psql("SELECT string_agg(ancestor, ',' ORDER BY ancestor) FROM area_ancestors WHERE code = '%s'" % ward)
    eq(anc, "E07000105,E10000016,E12000008", "ancestors of a Kent ward")
    eq(env.psql("SELECT string_agg(ancestor, ',') FROM area_ancestors WHERE code = 'E10000016'"), "E12000008",
       "Kent is in the South East because all its districts are")
    # Only counties with a district the 2018 region lookup does not know (created in
    # 2019: Somerset West and Taunton, East and West Suffolk) get no derived region.
    eq(env.psql("SELECT string_agg(code, ',' ORDER BY code) FROM areas a WHERE level = 'county' AND NOT EXISTS "
                "(SELECT 1 FROM area_ancestors x WHERE x.code = a.code)"), "E10000027,E10000029")
    eq(env.psql("SELECT count(*) FROM area_parents p WHERE p.parent IN ('E10000027', 'E10000029') AND NOT EXISTS "
                "(SELECT 1 FROM area_ancestors x JOIN areas r ON r.code = x.ancestor AND r.level = 'region' "
                "WHERE x.code = p.code)") != "0", True, "each has a district with no region")


@test
def areas_import_bad_file_changes_nothing(env):
    before = env.psql("SELECT count(*) FROM areas")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as good, \
            tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as bad:
        good.write("WD99CD,WD99NM,LAD99CD,LAD99NM\nE05999999,New Ward,E09000007,Camden\n")
        bad.write("name,population\nCamden,1\n")
    p = env.cli("areas", "import", good.name, bad.name, check=False)
    eq(p.returncode, 1)
    check("no area code columns" in p.stderr, p.stderr)
    eq(env.psql("SELECT count(*) FROM areas"), before, "nothing imported")
    p = env.cli("areas", "import", "/nonexistent.csv", check=False)
    eq(p.returncode, 1)


@test
def key_revoke(env):
    org, token = env.new_org("Revocable Council")
    key_id = env.psql("SELECT id FROM api_keys WHERE organisation_id = '%s'" % org)
    eq(env.cli("key", "revoke", key_id).returncode, 0)
    eq(env.cli("key", "revoke", key_id).returncode, 0, "revoking twice is fine")
    eq(env.cli("key", "revoke", "01a20257-a418-7ff3-91b2-bcfe381f2f64", check=False).returncode, 1)
    eq(env.cli("key", "revoke", "not-a-uuid", check=False).returncode, 2)
    check(env.psql("SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = '%s'" % key_id) == "t")


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def pasted(lines, role):
    """Runs the key lines make run prints, as pasted into a new terminal (in /, with no CONSULTD_
    variable), asking for the role; returns the key they print."""
    script = "\n".join(lines).replace("--role partner", "--role " + role)
    p = subprocess.run(["sh", "-c", script], cwd="/", capture_output=True, text=True, timeout=60,
                       env={"PATH": os.environ["PATH"]})
    eq(p.returncode, 0, "the pasted lines: %s" % p.stderr)
    return p.stdout.strip()


def key_lines(*args):
    p = subprocess.run([os.path.join(ROOT, "scripts", "key-lines.sh")] + list(args), capture_output=True,
                       text=True, timeout=30)
    eq(p.returncode, 0, p.stderr)
    lines = [l.strip() for l in p.stdout.splitlines()]
    start = [i for i, l in enumerate(lines) if l.startswith("cd ")]
    eq(len(start), 1, "one block of command lines: %s" % p.stdout)
    block = lines[start[0]:start[0] + 3]
    check("org add" in block[1] and "key add" in block[2], "the organisation, then its key: %r" % block)
    return block


@test
def make_run_prints_key_lines_that_work_in_another_terminal(env):
    d = env.shared()
    with open(os.path.join(ROOT, "scripts", "dev-run.sh")) as f:
        check('scripts/key-lines.sh "$keymode"' in f.read(), "make run prints the key lines")
    # make run's private PostgreSQL: the URL is on each line
    lines = key_lines("private", env.db_url)
    check(all("CONSULTD_DATABASE_URL=%s " % env.db_url in l for l in lines[1:]), "the database named: %r" % lines)
    for role in ("partner", "coordinator"):
        token = pasted(lines, role)
        me = d.request("GET", "/v1/me", token=token)
        eq(me.status, 200, me)
        eq((me.json["role"], me.json["organisation"]["name"]), (role, "Their organisation"))
    # a configured database: -c FILE on each line (a path with a space and a quote)
    conf_dir = tempfile.mkdtemp(prefix="consultd conf'")
    conf = os.path.join(conf_dir, "consultd.conf")
    with open(conf, "w") as f:
        f.write("[database]\nurl = %s\n" % env.db_url)
    token = pasted(key_lines("config", conf), "coordinator")
    eq(d.request("GET", "/v1/me", token=token).json["role"], "coordinator")
    eq(subprocess.run([os.path.join(ROOT, "scripts", "key-lines.sh")], capture_output=True).returncode, 2,
       "usage error")


@test
def make_stop_stops_make_runs_daemon_and_postgresql(env):
    var = tempfile.mkdtemp(prefix="consultd-run-")
    os.chmod(var, 0o755)
    port = harness.free_port()
    pg = subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), "start", os.path.join(var, "pg"), str(port), "fast"],
                        capture_output=True, text=True, timeout=120)
    eq(pg.returncode, 0, pg.stderr)
    try:
        d = env.daemon()
        with open(os.path.join(var, "consultd.pid"), "w") as f:
            f.write("%d\n" % d.proc.pid)
        p = subprocess.run(["make", "-s", "stop"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, RUN_VAR=var))
        eq(p.returncode, 0, p.stderr)
        eq(d.proc.wait(5), 0, "the daemon exited on SIGTERM")
        d.stop(signalled=True)
        check("stopped the daemon (process %d)" % d.proc.pid in p.stdout, p.stdout)
        check("stopped PostgreSQL in %s/pg" % var in p.stdout, p.stdout)
        check(not os.path.exists(os.path.join(var, "pg", "data", "postmaster.pid")), "PostgreSQL stopped")
        check(not os.path.exists(os.path.join(var, "consultd.pid")), "the process id forgotten")
        # again: nothing left to stop, and a stale process id is never signalled
        with open(os.path.join(var, "consultd.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        p = subprocess.run(["make", "-s", "stop"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, RUN_VAR=var))
        eq(p.returncode, 0, p.stderr)
        check("the daemon is not running" in p.stdout and "no PostgreSQL running" in p.stdout, p.stdout)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), "stop", os.path.join(var, "pg")], timeout=120)
        subprocess.run(["rm", "-rf", var])
