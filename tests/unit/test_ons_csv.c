/* Unit tests: ONS lookup CSV parsing, on made-up edge cases, on the
 * published files in ../shared/data/ons, on the files as people re-saved them
 * in ../shared/data/cases (all read as they are), and on the April 2023
 * district successions in tests/fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_files.h"

#include "ons_csv.h"

typedef struct collected {
    int areas, links, aliases, successions;
    char last_name[128];
    char seen_link[256];
    bool herefordshire;
    char log[32768]; /* ";A code|name|name_cy|level;L child>parent;O alias=code;S code>successor;" */
} collected;

static void note(collected *c, char kind, const char *a, const char *sep, const char *b)
{
    size_t len = strlen(c->log);
    snprintf(c->log + len, sizeof c->log - len, "%s%c %s%s%s;", len ? "" : ";", kind, a, sep, b);
}

/* true if the parse reported this record, e.g. "A E06000001|Hartlepool|-|district". */
static bool seen(const collected *c, const char *record)
{
    char needle[256];
    snprintf(needle, sizeof needle, ";%s;", record);
    return strstr(c->log, needle) != NULL;
}

static int on_area(void *arg, const char *code, const char *name, const char *name_cy, const char *level)
{
    collected *c = arg;
    c->areas++;
    char rec[256];
    snprintf(rec, sizeof rec, "%s|%s|%s", name, name_cy ? name_cy : "-", level);
    note(c, 'A', code, "|", rec);
    snprintf(c->last_name, sizeof c->last_name, "%s", name);
    if (strcmp(code, "E06000019") == 0 && strcmp(name, "Herefordshire, County of") == 0 &&
        strcmp(level, "district") == 0)
        c->herefordshire = true;
    return 0;
}

static int on_link(void *arg, const char *child, const char *parent)
{
    collected *c = arg;
    c->links++;
    note(c, 'L', child, ">", parent);
    if (strlen(c->seen_link) + strlen(child) + strlen(parent) + 3 < sizeof c->seen_link) {
        strcat(c->seen_link, child);
        strcat(c->seen_link, ">");
        strcat(c->seen_link, parent);
        strcat(c->seen_link, ";");
    }
    return 0;
}

static int on_alias(void *arg, const char *alias, const char *code)
{
    collected *c = arg;
    c->aliases++;
    note(c, 'O', alias, "=", code);
    return 0;
}

static int on_succession(void *arg, const char *code, const char *successor)
{
    collected *c = arg;
    c->successions++;
    note(c, 'S', code, ">", successor);
    return 0;
}

static int parse(const char *text, collected *c, ons_stats *st, char *err)
{
    memset(c, 0, sizeof *c);
    ons_sink sink = { on_area, on_link, on_alias, on_succession, c };
    return ons_csv_parse(text, strlen(text), &sink, st, err, 256);
}

static void quoted_names_any_order_bom_crlf(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    char err[256];
    const char *csv = "\xEF\xBB\xBF" "LAD18CD,LAD18NM,RGN18CD,RGN18NM,FID\r\n"
                      "E06000019,\"Herefordshire, County of\",E12000005,West Midlands,1\r\n";
    assert_int_equal(parse(csv, &c, &st, err), 0);
    assert_int_equal(st.levels, 2);
    assert_string_equal(st.level_names[0], "district");
    assert_string_equal(st.level_names[1], "region");
    assert_true(c.herefordshire);
    assert_int_equal(c.links, 1);
    assert_string_equal(c.seen_link, "E06000019>E12000005;");
}

static void finest_level_is_the_child_whatever_the_column_order(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    char err[256];
    const char *csv = "RGN20CD,RGN20NM,WD20CD,WD20NM,LAD20CD,LAD20NM\n"
                      "E12000007,London,E05000128,Belsize,E09000007,Camden\n";
    assert_int_equal(parse(csv, &c, &st, err), 0);
    assert_string_equal(st.level_names[0], "ward");
    assert_string_equal(st.level_names[2], "region");
    assert_int_equal(c.areas, 3);
    assert_int_equal(c.links, 3);
    assert_non_null(strstr(c.seen_link, "E05000128>E09000007;"));
    assert_non_null(strstr(c.seen_link, "E05000128>E12000007;"));
    assert_non_null(strstr(c.seen_link, "E09000007>E12000007;"));
}

static void bad_rows_are_skipped_and_counted(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    char err[256];
    const char *csv = "FID,WD19CD,WD19NM,LAD19CD,LAD19NM\n"
                      "1,E05008942,Burn Valley,E06000001,Hartlepool\n"
                      "2,not-a-code,Somewhere,E06000001,Hartlepool\n"
                      "3,E05008943\n"
                      "\n";
    assert_int_equal(parse(csv, &c, &st, err), 0);
    assert_int_equal(st.rows, 3); /* the blank line is not a row */
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.first_skipped, 2);
    assert_int_equal(c.links, 1);
}

static void header_without_codes_and_broken_quotes_fail(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    char err[256];
    assert_int_equal(parse("name,population\nCamden,210000\n", &c, &st, err), -1);
    assert_non_null(strstr(err, "no area code columns"));
    assert_int_equal(parse("WD19CD,WD19NM\nE05008942,\"unterminated\n", &c, &st, err), -1);
    assert_non_null(strstr(err, "malformed CSV"));
    assert_int_equal(parse("", &c, &st, err), -1);
}

static char *slurp(const char *path, size_t *len)
{
    return test_slurp(path, len);
}

static void published_files_parse_cleanly(void **state)
{
    (void)state;
    static const struct { const char *file; long rows; int areas; const char *l0, *l1; } files[] = {
        { "ward19_lad19_uk.csv", 8887, 8887 * 2, "ward", "district" },
        { "lad20_cty20_en.csv", 257, 257 * 2, "district", "county" },
        { "lad18_rgn18_en.csv", 326, 326 * 2, "district", "region" },
    };
    const char *dir = getenv("ONS_DATA_DIR");
    if (!dir)
        dir = "../shared/data/ons";
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
        size_t len = 0;
        char *data = slurp(path, &len);
        if (!data)
            fail_msg("cannot read %s (set ONS_DATA_DIR)", path);
        collected c;
        memset(&c, 0, sizeof c);
        ons_sink sink = { on_area, on_link, on_alias, on_succession, &c };
        ons_stats st;
        char err[256];
        assert_int_equal(ons_csv_parse(data, len, &sink, &st, err, sizeof err), 0);
        assert_int_equal(st.rows, files[i].rows);
        assert_int_equal(st.skipped, 0);
        assert_int_equal(c.areas, files[i].areas);
        assert_int_equal(c.links, files[i].rows);
        assert_string_equal(st.level_names[0], files[i].l0);
        assert_string_equal(st.level_names[1], files[i].l1);
        if (i == 2)
            assert_true(c.herefordshire);
        free(data);
    }
}

/* How many times the parse reported this record. */
static int times(const collected *c, const char *record)
{
    char needle[256];
    snprintf(needle, sizeof needle, ";%s;", record);
    int n = 0;
    for (const char *p = c->log; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void parse_file(const char *dir, const char *file, collected *c, ons_stats *st)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t len = 0;
    char *data = slurp(path, &len);
    if (!data)
        fail_msg("cannot read %s", path);
    memset(c, 0, sizeof *c);
    ons_sink sink = { on_area, on_link, on_alias, on_succession, c };
    char err[256];
    int rc = ons_csv_parse(data, len, &sink, st, err, sizeof err);
    free(data);
    if (rc != 0)
        fail_msg("%s: %s", file, err);
}

static const char *cases(void)
{
    const char *dir = getenv("ONS_CASES_DIR");
    return dir ? dir : "../shared/data/cases";
}

#define CASE(name, c, st) parse_file(cases(), name, c, st)

static void welsh_names_bom_crlf_and_accents_left_alone(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c01_WD24_names_codes_bom_crlf_welsh.csv", &c, &st);
    assert_int_equal(st.rows, 15);
    assert_int_equal(st.levels, 1);
    assert_int_equal(st.skipped_columns, 0);
    assert_int_equal(c.areas, 15);
    assert_int_equal(c.links, 0);
    assert_true(seen(&c, "A W05001048|Gower|G\xC5\xB5yr|ward"));
    assert_true(seen(&c, "A E05000932|Ainsdale|-|ward")); /* an empty Welsh name is none */
    assert_true(seen(&c, "A S13003143|Uibhist a Deas, \xC3\x88irisgeigh agus Beinn na Faoghla|-|ward"));
    assert_int_equal(st.repaired + st.recoded + st.suspect, 0);
}

static void old_codes_are_aliases_and_pseudo_codes_are_not_areas(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c02_RGN20_names_codes_CDO_pseudo.csv", &c, &st);
    assert_int_equal(st.rows, 14);
    assert_int_equal(st.pseudo_child, 5);
    assert_int_equal(st.skipped, 5);
    assert_int_equal(c.areas, 9);
    assert_int_equal(c.aliases, 9);
    assert_true(seen(&c, "O A=E12000001"));
    assert_true(seen(&c, "O K=E12000009"));
    assert_true(seen(&c, "A E12000007|London|Llundain|region"));
    assert_null(strstr(c.log, "99999999"));

    CASE("c03_CTY23_names_codes_trailing_empty_cols.csv", &c, &st);
    assert_int_equal(st.rows, 27);
    assert_int_equal(st.skipped_columns, 2);
    assert_string_equal(st.skipped_column_names, "(unnamed), (unnamed)");
    assert_int_equal(st.pseudo_child, 6);
    assert_int_equal(c.areas, 21);
    assert_null(strstr(c.log, "99999999"));
}

static void an_area_that_is_its_own_parent_is_one_area(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c04_LTLA19_UTLA19_bom_FID_selfparent.csv", &c, &st);
    assert_string_equal(st.skipped_column_names, "FID");
    assert_int_equal(st.self_links, 7);
    assert_int_equal(c.links, 13 - 7);
    assert_true(seen(&c, "L E07000133>E10000018"));
    assert_true(seen(&c, "A E08000002|Bury|-|district"));
    assert_int_equal(times(&c, "A E08000002|Bury|-|district"), 1);
    assert_int_equal(c.areas, 13 + 6); /* 13 districts, a county for each of 6 two-tier ones */

    CASE("c07_WD24_LAD24_CTYUA24_May2024_selfparent.csv", &c, &st);
    assert_int_equal(st.self_links, 8);
    assert_true(seen(&c, "A E06000001|Hartlepool|-|district"));
    assert_null(strstr(c.log, "E06000001|Hartlepool|-|county"));
    assert_int_equal(times(&c, "L E05013038>E06000001"), 1);
    assert_true(seen(&c, "L E05005150>E10000017"));
    assert_true(seen(&c, "L E07000117>E10000017"));
    assert_true(seen(&c, "A W05001599|Hope|Yr H\xC3\xB4" "b|ward"));
    assert_true(seen(&c, "A W06000005|Flintshire|Sir y Fflint|district"));
}

static void ward_to_country_lookup_with_welsh_names(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c05_WD23_LAD23_CTY23_RGN23_CTRY23_May2023_bom_NMW.csv", &c, &st);
    assert_int_equal(st.rows, 12);
    assert_int_equal(st.levels, 5);
    assert_string_equal(st.skipped_column_names, "ObjectId");
    assert_int_equal(st.skipped, 0);
    /* Wales stands in for its region: one area, a country, not its own parent */
    assert_true(seen(&c, "A W92000004|Wales|Cymru|country"));
    assert_null(strstr(c.log, "W92000004|Wales|Cymru|region"));
    assert_int_equal(times(&c, "L W05001492>W92000004"), 1);
    assert_int_equal(st.self_links, 5);
    assert_true(seen(&c, "A W06000001|Isle of Anglesey|Ynys M\xC3\xB4n|district"));
    assert_true(seen(&c, "L E05005153>E07000117"));
    assert_true(seen(&c, "L E07000117>E10000017"));
    assert_true(seen(&c, "L E10000017>E12000002"));
    assert_true(seen(&c, "L E05013038>E06000001"));

    CASE("c06_WD23_May2023_resaved_empty_first_col_crlf.csv", &c, &st);
    assert_int_equal(st.rows, 7); /* the last row has no line end */
    assert_string_equal(st.skipped_column_names, "empty, ObjectId");
    assert_true(seen(&c, "A S13003134|Stepps, Chryston and Muirhead|-|ward"));
    assert_true(seen(&c, "L S13003134>S12000050"));
}

static void older_region_columns_and_lowercase_boundary_tables(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c08_WD18_LAD18_CTY18_GOR10_CTRY18_mixed_vintage.csv", &c, &st);
    assert_int_equal(st.levels, 5);
    assert_false(st.succession);
    assert_true(seen(&c, "A E12000007|London|-|region"));
    assert_true(seen(&c, "L E09000001>E12000007"));
    assert_true(seen(&c, "L E05009288>E13000001"));
    assert_true(seen(&c, "L E07000150>E10000021"));

    CASE("c09_wd19_boundaries_lowercase_header_space_nmw.csv", &c, &st);
    assert_int_equal(st.rows, 8);
    assert_string_equal(st.skipped_column_names, "objectid, bng_e, bng_n, long, lat, st_areashape, st_lengthshape");
    assert_true(seen(&c, "A E05000026|Abbey|-|ward")); /* a Welsh name of one space is none */
    assert_true(seen(&c, "A W05000042|Aberdovey|Aberdyfi|ward"));
}

static void mojibake_repaired_and_empty_children_counted(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c10_WD18_UA18_NAWER18_mojibake_empty_child_Column7.csv", &c, &st);
    assert_int_equal(st.rows, 9);
    assert_int_equal(st.empty_child, 4);
    assert_int_equal(st.skipped, 4);
    assert_int_equal(st.first_skipped, 1);
    assert_string_equal(st.skipped_column_names, "Column7, FID");
    assert_int_equal(st.repaired, 1);
    assert_string_equal(st.repaired_to, "Ynys M\xC3\xB4n");
    assert_true(seen(&c, "A W06000001|Isle of Anglesey|Ynys M\xC3\xB4n|district"));
    assert_true(seen(&c, "A W10000001|North Wales|-|senedd-region"));
    assert_true(seen(&c, "L W05000046>W10000001"));
    assert_true(seen(&c, "L W05000046>W06000002"));
    /* districts do not nest in electoral regions (Gwynedd is in two) */
    assert_null(strstr(c.log, ";L W06000002>"));
    assert_null(strstr(c.log, ";L W06000001>"));
}

static void non_gss_codes_and_typo_columns_are_reported(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c11_LAD13_NUTS315_digit_prefix_typo_CDO.csv", &c, &st);
    assert_int_equal(st.rows, 6);
    assert_string_equal(st.skipped_column_names, "FID, NUTS115NM");
    assert_int_equal(st.non_gss, 18);
    assert_string_equal(st.non_gss_columns, "NUTS315CD, NUTS215CD, NUT115CD");
    assert_string_equal(st.non_gss_example, "UKC11");
    assert_int_equal(st.empty_child, 1);
    assert_int_equal(c.aliases, 5);
    assert_true(seen(&c, "O 00EB=E06000001"));
    assert_true(seen(&c, "A E06000001|Hartlepool|-|district"));
    assert_int_equal(c.areas, 5);
    assert_int_equal(c.links, 0);
    assert_null(strstr(c.log, "95P"));
}

static void numbered_parents_and_wards_in_several_constituencies(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    CASE("c12_LSOA11_LEP17_CD1_CD2_overlapping_parents.csv", &c, &st);
    assert_int_equal(st.levels, 3);
    assert_string_equal(st.level_names[1], "lep");
    assert_string_equal(st.level_names[2], "lep");
    assert_true(seen(&c, "L E01017635>E37000002"));
    assert_true(seen(&c, "L E01017635>E37000041"));
    assert_null(strstr(c.log, ";L E37000002>"));
    assert_int_equal(c.links, 11);

    CASE("c22_WD18_PCON18_LAD18_ward_in_several_constituencies.csv", &c, &st);
    assert_true(seen(&c, "L E05004020>E14000786"));
    assert_true(seen(&c, "L E05004020>E14000684"));
    assert_true(seen(&c, "L E05004020>E14000557"));
    assert_true(seen(&c, "L E05004020>E07000065"));
    assert_true(seen(&c, "A E14000766|Keighley|-|constituency"));
    /* a district is not inside a constituency */
    assert_null(strstr(c.log, ";L E07000065>E14"));
    assert_null(strstr(c.log, ";L E08000032>E14"));
}

static void two_vintages_are_succession(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    const char *dir = getenv("FIXTURES_DIR");
    parse_file(dir ? dir : "tests/fixtures", "lad22_lad23_successions.csv", &c, &st);
    assert_true(st.succession);
    assert_string_equal(st.succession_from, "LAD22");
    assert_string_equal(st.succession_to, "LAD23");
    assert_int_equal(st.successions, 17);
    assert_int_equal(st.unchanged, 9);
    assert_int_equal(c.successions, 17);
    assert_int_equal(c.links, 0);
    static const char *const somerset[] = { "E07000187", "E07000188", "E07000189", "E07000246" };
    static const char *const north_yorkshire[] = { "E07000163", "E07000164", "E07000165", "E07000166",
                                                   "E07000167", "E07000168", "E07000169" };
    char rec[64];
    for (int i = 0; i < 4; i++) {
        snprintf(rec, sizeof rec, "S %s>E06000066", somerset[i]);
        assert_true(seen(&c, rec));
    }
    for (int i = 0; i < 7; i++) {
        snprintf(rec, sizeof rec, "S %s>E06000065", north_yorkshire[i]);
        assert_true(seen(&c, rec));
    }
    assert_true(seen(&c, "S E07000026>E06000063"));
    assert_true(seen(&c, "S E07000027>E06000064"));
    assert_true(seen(&c, "A E07000187|Mendip|-|district"));
    assert_true(seen(&c, "A E06000066|Somerset|-|district"));
    assert_int_equal(times(&c, "A E06000019|Herefordshire, County of|-|district"), 1);
    assert_null(strstr(c.log, ";S E06000001>"));

    /* A renamed area keeps its code: not a succession, and the newer name wins. */
    char err[256];
    assert_int_equal(parse("LAD22CD,LAD22NM,LAD23CD,LAD23NM\nE07000001,Old Name,E07000001,New Name\n", &c, &st,
                           err), 0);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(c.successions, 0);
    assert_int_equal(c.areas, 1);
    assert_true(seen(&c, "A E07000001|New Name|-|district"));
}

static void text_repair(void **state)
{
    (void)state;
    char s[64];
    strcpy(s, "  Ynys M\xC3\x83\xC2\xB4n ");
    assert_int_equal(ons_text_repair(s), 1);
    assert_string_equal(s, "Ynys M\xC3\xB4n");
    /* encoded twice over, and through Windows-1252 (right quote as "â€™") */
    strcpy(s, "M\xC3\x83\xC6\x92\xC3\x82\xC2\xB4n");
    assert_int_equal(ons_text_repair(s), 1);
    assert_string_equal(s, "M\xC3\xB4n");
    strcpy(s, "St Mary\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s");
    assert_int_equal(ons_text_repair(s), 1);
    assert_string_equal(s, "St Mary\xE2\x80\x99s");
    /* real accented names are not touched */
    static const char *const fine[] = { "G\xC5\xB5yr", "Eilean \xC3\xA1 Ch\xC3\xA8o", "Yr H\xC3\xB4" "b",
                                        "Dyfnant a Chil\xC3\xA2", "Plain" };
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        strcpy(s, fine[i]);
        assert_int_equal(ons_text_repair(s), 0);
        assert_string_equal(s, fine[i]);
    }
    /* double-encoded next to a real character that cannot be undone: warned, kept */
    strcpy(s, "M\xC3\x83\xC2\xB4n G\xC5\xB5yr");
    assert_int_equal(ons_text_repair(s), 3);
    assert_string_equal(s, "M\xC3\x83\xC2\xB4n G\xC5\xB5yr");
    /* not UTF-8 at all: a spreadsheet's Windows-1252 */
    strcpy(s, "Ynys M\xF4n \x96 Anglesey");
    assert_int_equal(ons_text_repair(s), 2);
    char *u = ons_text_recode(s);
    assert_string_equal(u, "Ynys M\xC3\xB4n \xE2\x80\x93 Anglesey");
    free(u);
}

static void names_not_in_utf8_are_recoded(void **state)
{
    (void)state;
    collected c;
    ons_stats st;
    char err[256];
    assert_int_equal(parse("LAD23CD,LAD23NM,LAD23NMW\nW06000001,Isle of Anglesey,Ynys M\xF4n\n", &c, &st, err), 0);
    assert_int_equal(st.recoded, 1);
    assert_true(seen(&c, "A W06000001|Isle of Anglesey|Ynys M\xC3\xB4n|district"));
    /* codes in any case, with spaces; column names in any case */
    assert_int_equal(parse(" lad23cd ,Lad23Nm\n e06000001 , Hartlepool \n", &c, &st, err), 0);
    assert_true(seen(&c, "A E06000001|Hartlepool|-|district"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoted_names_any_order_bom_crlf),
        cmocka_unit_test(finest_level_is_the_child_whatever_the_column_order),
        cmocka_unit_test(bad_rows_are_skipped_and_counted),
        cmocka_unit_test(header_without_codes_and_broken_quotes_fail),
        cmocka_unit_test(published_files_parse_cleanly),
        cmocka_unit_test(welsh_names_bom_crlf_and_accents_left_alone),
        cmocka_unit_test(old_codes_are_aliases_and_pseudo_codes_are_not_areas),
        cmocka_unit_test(an_area_that_is_its_own_parent_is_one_area),
        cmocka_unit_test(ward_to_country_lookup_with_welsh_names),
        cmocka_unit_test(older_region_columns_and_lowercase_boundary_tables),
        cmocka_unit_test(mojibake_repaired_and_empty_children_counted),
        cmocka_unit_test(non_gss_codes_and_typo_columns_are_reported),
        cmocka_unit_test(numbered_parents_and_wards_in_several_constituencies),
        cmocka_unit_test(two_vintages_are_succession),
        cmocka_unit_test(text_repair),
        cmocka_unit_test(names_not_in_utf8_are_recoded),
    };
    return cmocka_run_group_tests_name("ons_csv", tests, NULL, NULL);
}
