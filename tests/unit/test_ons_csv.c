/* Unit tests: ONS lookup CSV parsing, on made-up edge cases and on the
 * published files in ../shared/data/ons (read as they are). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ons_csv.h"

typedef struct collected {
    int areas, links;
    char last_name[128];
    char seen_link[256];
    bool herefordshire;
} collected;

static int on_area(void *arg, const char *code, const char *name, const char *level)
{
    collected *c = arg;
    c->areas++;
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
    if (strlen(c->seen_link) + strlen(child) + strlen(parent) + 3 < sizeof c->seen_link) {
        strcat(c->seen_link, child);
        strcat(c->seen_link, ">");
        strcat(c->seen_link, parent);
        strcat(c->seen_link, ";");
    }
    return 0;
}

static int parse(const char *text, collected *c, ons_stats *st, char *err)
{
    memset(c, 0, sizeof *c);
    ons_sink sink = { on_area, on_link, c };
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
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
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
        ons_sink sink = { on_area, on_link, &c };
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoted_names_any_order_bom_crlf),
        cmocka_unit_test(finest_level_is_the_child_whatever_the_column_order),
        cmocka_unit_test(bad_rows_are_skipped_and_counted),
        cmocka_unit_test(header_without_codes_and_broken_quotes_fail),
        cmocka_unit_test(published_files_parse_cleanly),
    };
    return cmocka_run_group_tests_name("ons_csv", tests, NULL, NULL);
}
