/* Unit tests: the CSV form of consultations - whole-file checks, the header,
 * the row -> request-body mapping, dates, formula neutralising and rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "import_csv.h"

static void utf8_check_names_line_and_byte(void **state)
{
    (void)state;
    size_t line = 0, byte = 0;
    const char ok[] = "a,b\r\nCaf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80\n";
    assert_true(import_utf8_check(ok, sizeof ok - 1, &line, &byte));
    const char latin1[] = "a,b\nc,d\nCaf\xe9 au lait\n";
    assert_false(import_utf8_check(latin1, sizeof latin1 - 1, &line, &byte));
    assert_int_equal(line, 3);
    assert_int_equal(byte, 4);
    const char *bad[] = { "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "x\x80" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(import_utf8_check(bad[i], strlen(bad[i]), &line, &byte));
    const char nul[] = "a,\0b";
    assert_false(import_utf8_check(nul, 4, &line, &byte));
    assert_int_equal(byte, 3);
    assert_int_equal(import_bom_len("\xEF\xBB\xBFx", 4), 3);
    assert_int_equal(import_bom_len("x", 1), 0);
}

static void header_any_order_and_case_with_aliases(void **state)
{
    (void)state;
    char *cells[] = { " Title ", "EXTERNAL_REF", "fieldwork.start", "Fieldwork_End", "id", "status" };
    import_header h;
    json_t *errors = json_array();
    char sep = 0;
    assert_int_equal(import_header_read(cells, 6, &h, errors, &sep), 0);
    assert_int_equal(json_array_size(errors), 0);
    assert_int_equal(h.cell_of[COL_TITLE], 0);
    assert_int_equal(h.cell_of[COL_EXTERNAL_REF], 1);
    assert_int_equal(h.cell_of[COL_FIELDWORK_START], 2);
    assert_int_equal(h.cell_of[COL_FIELDWORK_END], 3);
    assert_int_equal(h.cell_of[COL_ID], 4);
    assert_int_equal(h.cell_of[COL_SUMMARY], -1);
    json_decref(errors);
}

static void header_errors_name_every_column(void **state)
{
    (void)state;
    char *cells[] = { "title", "sumary", "Title", "areas" };
    import_header h;
    json_t *errors = json_array();
    char sep = 0;
    assert_int_equal(import_header_read(cells, 4, &h, errors, &sep), -1);
    assert_int_equal(json_array_size(errors), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "sumary");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 1), "field")), "Title");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 1), "message")), "repeated"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 2), "field")), "external_ref");
    assert_int_equal(sep, 0);
    json_decref(errors);

    char *semi[] = { "id;title;body/en" };
    errors = json_array();
    assert_int_equal(import_header_read(semi, 1, &h, errors, &sep), -1);
    assert_int_equal(sep, ';');
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 0), "message")), "semicolons"));
    json_decref(errors);
    char *tabs[] = { "external_ref\ttitle" };
    errors = json_array();
    assert_int_equal(import_header_read(tabs, 1, &h, errors, &sep), -1);
    assert_int_equal(sep, '\t');
    json_decref(errors);
}

static void dates_iso_and_day_first(void **state)
{
    (void)state;
    char out[11];
    assert_true(import_date("2027-03-01", out));
    assert_string_equal(out, "2027-03-01");
    assert_true(import_date("01/03/2027", out));
    assert_string_equal(out, "2027-03-01"); /* day first: 1 March, not 3 January */
    assert_true(import_date(" 1/3/2027 ", out));
    assert_string_equal(out, "2027-03-01");
    assert_true(import_date("29/02/2028", out));
    assert_false(import_date("29/02/2027", out));
    assert_false(import_date("31/04/2027", out));
    assert_false(import_date("13/13/2027", out));
    assert_false(import_date("2027/03/01", out));
    assert_false(import_date("01/03/27", out));
    assert_false(import_date("1 March 2027", out));
    assert_false(import_date("", out));
}

/* A date of the right form that names no real day says so, not that the
 * form was wrong. */
static void dates_that_do_not_exist_say_why(void **state)
{
    (void)state;
    char out[11], why[80];
    assert_false(import_date_why("31/02/2027", out, why, sizeof why));
    assert_string_equal(why, "February 2027 has 28 days");
    assert_false(import_date_why("2027-04-31", out, why, sizeof why));
    assert_string_equal(why, "April 2027 has 30 days");
    assert_false(import_date_why("12/31/2027", out, why, sizeof why)); /* month first */
    assert_string_equal(why, "there is no month 31");
    assert_false(import_date_why("1 March 2027", out, why, sizeof why));
    assert_string_equal(why, "");
    assert_true(import_date_why("29/02/2028", out, why, sizeof why));
    assert_string_equal(out, "2028-02-29");

    import_header h;
    json_t *errors = json_array();
    char sep = 0;
    char *head[] = { "external_ref", "fieldwork_start", "fieldwork_end" };
    assert_int_equal(import_header_read(head, 3, &h, errors, &sep), 0);
    char *cells[] = { "R1", "31/02/2027", "3 March" };
    import_row r;
    assert_int_equal(import_row_map(&h, cells, 3, &r, errors), -1);
    assert_int_equal(json_array_size(errors), 2); /* both cells */
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
                        "31/02/2027 is not a real date: February 2027 has 28 days");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 1), "message")),
                           "must be a date, YYYY-MM-DD or DD/MM/YYYY"));
    import_row_clear(&r);
    json_decref(errors);
}

static void formula_guard_round_trips(void **state)
{
    (void)state;
    const char *risky[] = { "=SUM(A1)", "+44 20", "-5", "@cmd", "\tx", "\rx" };
    for (size_t i = 0; i < sizeof risky / sizeof risky[0]; i++) {
        char buf[64];
        assert_true(csv_cell_needs_guard(risky[i]));
        char *end = csv_cell_write(buf, risky[i]);
        *end = '\0';
        const char *inner = buf[0] == '"' ? buf + 1 : buf;
        assert_int_equal(inner[0], '\'');
        char copy[64];
        snprintf(copy, sizeof copy, "'%s", risky[i]);
        assert_string_equal(csv_cell_unguard(copy), risky[i]);
    }
    assert_false(csv_cell_needs_guard("Plain"));
    assert_false(csv_cell_needs_guard(""));
    assert_string_equal(csv_cell_unguard("'quoted by hand"), "'quoted by hand"); /* only the guard's apostrophe */
    /* a value that starts with an apostrophe before a formula survives too */
    char buf[16];
    *csv_cell_write(buf, "'=x") = '\0';
    assert_string_equal(buf, "''=x");
    assert_string_equal(csv_cell_unguard(buf), "'=x");
}

static void cells_are_quoted_per_rfc4180(void **state)
{
    (void)state;
    struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "two\nlines", "\"two\nlines\"" },
        { " padded", "\" padded\"" },
        { "", "" },
        { "=1+1", "'=1+1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        assert_true(csv_cell_max(cases[i].in) < sizeof buf);
        char *end = csv_cell_write(buf, cases[i].in);
        *end = '\0';
        assert_string_equal(buf, cases[i].out);
    }
}

static void row_maps_to_a_request_body(void **state)
{
    (void)state;
    char *head[] = { "external_ref", "title", "topics", "areas", "fieldwork_start", "fieldwork_end",
                     "expected_participants", "engagement_level", "contact_email", "summary", "version", "id" };
    import_header h;
    json_t *errors = json_array();
    char sep = 0;
    assert_int_equal(import_header_read(head, 12, &h, errors, &sep), 0);
    char *cells[] = { " CAM-1 ", "'=Title", "a; b ;;c", "E09000007", "01/03/2027", "2027-04-15", "1,200",
                      "Consult", "", "", "3", "01A22E92-63CC-7E2F-9FC1-17986FF67E15" };
    import_row r;
    assert_int_equal(import_row_map(&h, cells, 12, &r, errors), 0);
    char *text = json_dumps(r.body, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text, "{\"areas\":[\"E09000007\"],\"contact\":{\"email\":null},\"engagement_level\":\"consult\","
                              "\"expected_participants\":1200,\"external_ref\":\"CAM-1\",\"fieldwork\":{\"end\":"
                              "\"2027-04-15\",\"start\":\"2027-03-01\"},\"summary\":null,\"title\":\"=Title\","
                              "\"topics\":[\"a\",\"b\",\"c\"]}");
    free(text);
    assert_string_equal(r.external_ref, "CAM-1");
    assert_int_equal(r.version, 3);
    assert_string_equal(r.id, "01a22e92-63cc-7e2f-9fc1-17986ff67e15");
    json_t *post = import_drop_nulls(r.body);
    text = json_dumps(json_object_get(post, "contact"), JSON_COMPACT);
    assert_string_equal(text, "{}");
    free(text);
    assert_null(json_object_get(post, "summary"));
    json_decref(post);
    import_row_clear(&r);

    /* every bad cell is named by its column; a short row's missing cells are empty */
    char *bad[] = { "X", "T", "", "", "31/02/2027", "someday", "many", "" };
    assert_int_equal(import_row_map(&h, bad, 8, &r, errors), -1);
    assert_int_equal(json_array_size(errors), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "fieldwork_start");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 1), "field")), "fieldwork_end");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 2), "field")),
                        "expected_participants");
    import_row_clear(&r);
    json_decref(errors);
}

static void api_fields_map_to_columns(void **state)
{
    (void)state;
    char out[64];
    import_field_name("fieldwork.start", out, sizeof out);
    assert_string_equal(out, "fieldwork_start");
    import_field_name("contact.email", out, sizeof out);
    assert_string_equal(out, "contact_email");
    import_field_name("areas[2]", out, sizeof out);
    assert_string_equal(out, "areas[2]");
}

static void export_row_renders_every_column(void **state)
{
    (void)state;
    json_t *doc = json_loads(
        "{\"id\":\"01a22e92-63cc-7e2f-9fc1-17986ff67e15\",\"organisation\":{\"id\":\"01a22e92-6407-7d3a-b0a9-"
        "598c1eb854a9\",\"name\":\"Camden\"},\"title\":\"Carers, \\\"young\\\"\",\"summary\":\"-1\",\"topics\":"
        "[\"a\",\"b\"],\"communities\":[],\"areas\":[\"E09000007\"],\"fieldwork\":{\"start\":\"2027-03-01\","
        "\"end\":\"2027-04-15\"},\"methods\":[\"survey\"],\"engagement_level\":\"consult\","
        "\"expected_participants\":400,\"contact\":null,\"external_ref\":\"CAM-1\",\"status\":\"planned\","
        "\"version\":2}", 0, NULL);
    assert_non_null(doc);
    size_t len;
    char *line = import_render_row(doc, &len);
    assert_string_equal(line, "CAM-1,\"Carers, \"\"young\"\"\",'-1,a;b,,E09000007,2027-03-01,2027-04-15,survey,"
                              "consult,400,,,,01a22e92-63cc-7e2f-9fc1-17986ff67e15,01a22e92-6407-7d3a-b0a9-"
                              "598c1eb854a9,planned,2\r\n");
    assert_int_equal(len, strlen(line));
    free(line);
    json_decref(doc);
}

typedef struct got {
    int records;
    char last[4][64];
    size_t n;
} got;

static int on_rec(void *arg, char *const *cells, size_t n)
{
    got *g = arg;
    g->records++;
    g->n = n;
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(g->last[i], sizeof g->last[i], "%s", cells[i]);
    return 0;
}

static void records_come_whole_across_slices(void **state)
{
    (void)state;
    const char text[] = "a,b\r\n\"x, \"\"y\"\"\r\nz\",2\r\n\r\nlast,3";
    got g = { 0 };
    csv_records rec = { .on_record = on_rec, .arg = &g };
    struct csv_parser p;
    assert_int_equal(csv_init(&p, 0), 0);
    for (size_t i = 0; i < sizeof text - 1; i += 3) { /* three bytes at a time */
        size_t n = sizeof text - 1 - i < 3 ? sizeof text - 1 - i : 3;
        assert_int_equal(csv_parse(&p, text + i, n, csv_records_field, csv_records_end, &rec), n);
        if (g.records == 2) {
            assert_string_equal(g.last[0], "x, \"y\"\r\nz");
            assert_string_equal(g.last[1], "2");
        }
    }
    csv_fini(&p, csv_records_field, csv_records_end, &rec);
    assert_int_equal(g.records, 3); /* the blank line is no record */
    assert_string_equal(g.last[0], "last");
    csv_free(&p);
    csv_records_clear(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_check_names_line_and_byte),
        cmocka_unit_test(header_any_order_and_case_with_aliases),
        cmocka_unit_test(header_errors_name_every_column),
        cmocka_unit_test(dates_iso_and_day_first),
        cmocka_unit_test(dates_that_do_not_exist_say_why),
        cmocka_unit_test(formula_guard_round_trips),
        cmocka_unit_test(cells_are_quoted_per_rfc4180),
        cmocka_unit_test(row_maps_to_a_request_body),
        cmocka_unit_test(api_fields_map_to_columns),
        cmocka_unit_test(export_row_renders_every_column),
        cmocka_unit_test(records_come_whole_across_slices),
    };
    return cmocka_run_group_tests_name("import_csv", tests, NULL, NULL);
}
