"""The command line: configuration errors, migrations, organisations, keys, area import."""
import os
import subprocess
import tempfile
import threading

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
