"""`areas import` on ONS lookups as people download and re-save them (shared/data/cases), and on a
lookup between two vintages (succession); checked through SQL and GET /v1/areas/{code}. Each test
imports into a database of its own, so the shared register stays as run.py built it."""
import os
import tempfile

from harness import test, eq, check

CASES = ["c01_WD24_names_codes_bom_crlf_welsh.csv", "c02_RGN20_names_codes_CDO_pseudo.csv",
         "c03_CTY23_names_codes_trailing_empty_cols.csv", "c04_LTLA19_UTLA19_bom_FID_selfparent.csv",
         "c05_WD23_LAD23_CTY23_RGN23_CTRY23_May2023_bom_NMW.csv",
         "c06_WD23_May2023_resaved_empty_first_col_crlf.csv", "c07_WD24_LAD24_CTYUA24_May2024_selfparent.csv",
         "c08_WD18_LAD18_CTY18_GOR10_CTRY18_mixed_vintage.csv",
         "c09_wd19_boundaries_lowercase_header_space_nmw.csv",
         "c10_WD18_UA18_NAWER18_mojibake_empty_child_Column7.csv",
         "c11_LAD13_NUTS315_digit_prefix_typo_CDO.csv", "c12_LSOA11_LEP17_CD1_CD2_overlapping_parents.csv",
         "c22_WD18_PCON18_LAD18_ward_in_several_constituencies.csv"]
SUCCESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                           "lad22_lad23_successions.csv")

SNAPSHOT = ("SELECT md5(string_agg(t, '|' ORDER BY t)) FROM ("
            " SELECT concat_ws(',', code, name, name_cy, level, updated_at) t FROM areas"
            " UNION ALL SELECT concat_ws(',', code, parent) FROM area_parents"
            " UNION ALL SELECT concat_ws(',', code, ancestor) FROM area_ancestors"
            " UNION ALL SELECT concat_ws(',', alias, code) FROM area_aliases"
            " UNION ALL SELECT concat_ws(',', code, successor) FROM area_successions) x")


def fresh(env, suffix):
    url = env.create_database("%s_%s" % (env.dbname, suffix))
    env.cli("migrate", db_url=url)
    org = env.cli("org", "add", "--name", "Register Reader", db_url=url).stdout.strip()
    token = env.cli("key", "add", "--org", org, "--role", "partner", db_url=url).stdout.strip()
    return url, token


def section(out, file):
    """The summary lines printed for one file."""
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(file + ":"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return "\n".join(lines[start:end])


@test
def area_files_as_people_save_them(env):
    url, token = fresh(env, "cases")
    files = [os.path.join(env.data_dir, "cases", f) for f in CASES]
    out = env.cli("areas", "import", *files, db_url=url).stdout
    say = {f[:3]: section(out, os.path.join(env.data_dir, "cases", f)) for f in CASES}
    check("columns skipped (neither codes, names, Welsh names nor old codes): (unnamed), (unnamed)" in say["c03"],
          say["c03"])
    check("columns skipped (neither codes, names, Welsh names nor old codes): empty, ObjectId" in say["c06"],
          say["c06"])
    check("objectid, bng_e, bng_n, long, lat, st_areashape, st_lengthshape" in say["c09"], say["c09"])
    check("Column7, FID" in say["c10"], say["c10"])
    check("FID, NUTS115NM" in say["c11"], say["c11"])
    check("ONS pseudo code (X99999999, not an area): 5" in say["c02"], say["c02"])
    check("ONS pseudo code (X99999999, not an area): 6" in say["c03"], say["c03"])
    check("rows with an empty child code: 4" in say["c10"], say["c10"])
    check("rows with an empty child code: 1" in say["c11"], say["c11"])
    check("self-parent links dropped (an area given as its own parent, e.g. E08000002): 7" in say["c04"], say["c04"])
    check("self-parent links dropped" in say["c07"], say["c07"])
    check('not GSS codes passed over: 18 in NUTS315CD, NUTS215CD, NUT115CD (e.g. "UKC11")' in say["c11"], say["c11"])
    check('names repaired from double-encoded UTF-8: 1 (e.g. "Ynys M\u00c3\u00b4n" -> "Ynys M\u00f4n")' in say["c10"],
          say["c10"])
    check("ward district constituency" in say["c22"], say["c22"])

    # nothing that is not an area, no area its own parent
    eq(env.psql("SELECT count(*) FROM areas WHERE code LIKE '_99999999'", url), "0")
    eq(env.psql("SELECT count(*) FROM area_parents WHERE code = parent", url), "0")
    eq(env.psql("SELECT count(*) FROM area_aliases WHERE alias = '95P'", url), "0", "NI code without a GSS code")

    d = env.daemon(db_url=url)
    get = lambda code: d.request("GET", "/v1/areas/" + code, token=token)  # noqa: E731
    r = get("W06000001")
    eq(r.status, 200)
    eq(r.json["name"], "Isle of Anglesey")
    eq(r.json["name_cy"], "Ynys M\u00f4n", "mojibake in c10 repaired, the same as c05 writes it")
    eq(r.json["old_codes"], ["00NA"])
    eq((r.json["successors"], r.json["predecessors"]), ([], []))
    r = get("E06000001")
    eq((r.json["name"], r.json["level"], r.json["name_cy"]), ("Hartlepool", "district", None))
    eq(r.json["old_codes"], ["00EB"])
    check("E06000001" not in r.json["ancestors"], r.json)
    eq(get("E12000001").json["name_cy"], "Gogledd Ddwyrain")
    eq(get("E12000001").json["old_codes"], ["A"])
    r = get("W92000004")
    eq((r.json["level"], r.json["name_cy"]), ("country", "Cymru"), "Wales in the region column is still a country")
    eq(get("W05001048").json["name_cy"], "G\u0175yr")
    eq(get("E05000026").json["name_cy"], None, "a Welsh name of one space is none")
    r = get("E05004020")  # Willingdon: in three constituencies
    eq(sorted(p["code"] for p in r.json["parents"]), ["E07000065", "E14000557", "E14000684", "E14000786"])
    r = get("E07000065")  # Wealden is not inside a constituency
    check(all(not p["code"].startswith("E14") for p in r.json["parents"]), r.json)
    r = get("E01017635")  # an LSOA in two Local Enterprise Partnerships
    eq(sorted(p["code"] for p in r.json["parents"]), ["E37000002", "E37000041"])
    r = get("W06000002")  # Gwynedd spans two Senedd regions: no region is its parent
    eq([p for p in r.json["parents"] if p["level"] == "senedd-region"], [])

    # re-importing the same files changes nothing, not even a timestamp
    before = env.psql(SNAPSHOT, url)
    env.cli("areas", "import", *files, db_url=url)
    eq(env.psql(SNAPSHOT, url), before, "re-import is idempotent")
    d.stop()


@test
def area_successions_from_two_vintages(env):
    url, token = fresh(env, "succ")
    out = env.cli("areas", "import", SUCCESSIONS, db_url=url).stdout
    check("succession LAD22 -> LAD23: 17 codes replaced, 9 unchanged" in out, out)
    check("17 successions" in out, out)
    eq(env.psql("SELECT count(*) FROM area_parents", url), "0", "succession is not containment")
    d = env.daemon(db_url=url)
    get = lambda code: d.request("GET", "/v1/areas/" + code, token=token)  # noqa: E731
    r = get("E06000066")
    eq((r.json["name"], r.json["level"]), ("Somerset", "district"))
    eq(r.json["predecessors"], ["E07000187", "E07000188", "E07000189", "E07000246"])
    eq(r.json["successors"], [])
    r = get("E07000187")
    eq((r.json["name"], r.json["level"], r.json["successors"]), ("Mendip", "district", ["E06000066"]))
    eq(get("E06000063").json["predecessors"], ["E07000026", "E07000028", "E07000029"])
    eq(get("E06000064").json["predecessors"], ["E07000027", "E07000030", "E07000031"])
    eq(get("E06000065").json["predecessors"], ["E070001%02d" % n for n in range(63, 70)])
    r = get("E06000019")
    eq((r.json["name"], r.json["successors"], r.json["predecessors"]), ("Herefordshire, County of", [], []),
       "an unchanged row is no succession")
    before = env.psql(SNAPSHOT, url)
    env.cli("areas", "import", SUCCESSIONS, db_url=url)
    eq(env.psql(SNAPSHOT, url), before, "re-import is idempotent")
    d.stop()


@test
def area_import_failing_in_the_database_changes_nothing(env):
    url, _ = fresh(env, "fail")
    env.cli("areas", "import", os.path.join(env.data_dir, "cases", CASES[1]), db_url=url)
    before = env.psql(SNAPSHOT, url)
    # Hold area_successions locked: the import fails at its merge, after writing areas and aliases.
    t = env.hold_table_lock("area_successions", 3, url)
    p = env.cli("areas", "import", SUCCESSIONS, os.path.join(env.data_dir, "cases", CASES[10]),
                db_url=url + "?options=-c%20lock_timeout%3D300", check=False)
    t.join()
    eq(p.returncode, 1, p.stdout + p.stderr)
    check("lock" in p.stderr, p.stderr)
    eq(env.psql(SNAPSHOT, url), before, "a failed import changes nothing")
    eq(env.psql("SELECT count(*) FROM areas WHERE code = 'E06000066'", url), "0")
    # and the same import then goes through
    env.cli("areas", "import", SUCCESSIONS, os.path.join(env.data_dir, "cases", CASES[10]), db_url=url)
    eq(env.psql("SELECT count(*) FROM area_successions", url), "17")
    eq(env.psql("SELECT code FROM area_aliases WHERE alias = '00EB'", url), "E06000001")


@test
def area_file_saved_as_windows_1252(env):
    url, _ = fresh(env, "cp1252")
    with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as f:
        f.write(b"LAD23CD,LAD23NM,LAD23NMW\r\nW06000001,Isle of Anglesey,Ynys M\xf4n\r\n"
                b"W06000005,Flintshire,Sir y Fflint\r\n")
    out = env.cli("areas", "import", f.name, db_url=url).stdout
    os.unlink(f.name)
    check("names not in UTF-8, read as Windows-1252: 1" in out, out)
    eq(env.psql("SELECT name_cy FROM areas WHERE code = 'W06000001'", url), "Ynys M\u00f4n")
