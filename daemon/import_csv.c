/* import_csv.c - the CSV form of consultations (see import_csv.h). */
#include "import_csv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consultation.h"
#include "field_errors.h"

const char *const import_column_names[COL_COUNT] = {
    "external_ref", "title", "summary", "topics", "communities", "areas", "fieldwork_start", "fieldwork_end",
    "methods", "engagement_level", "expected_participants", "contact_name", "contact_email", "visibility",
    "id", "organisation", "status", "version",
};

size_t import_bom_len(const char *buf, size_t len)
{
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

bool import_utf8_check(const char *buf, size_t len, size_t *line, size_t *byte)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t ln = 1, line_start = 0, i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t need = 0;
        unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
        if (c == 0) {
            goto bad;
        } else if (c < 0x80) {
            if (c == '\n') {
                ln++;
                line_start = i + 1;
            }
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            goto bad;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= len)
                goto bad;
            unsigned char d = s[i + k];
            unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
            if (d < l || d > h)
                goto bad;
        }
        i += need + 1;
    }
    return true;
bad:
    *line = ln;
    *byte = i - line_start + 1;
    return false;
}

/* ---- the header ------------------------------------------------------------------ */

/* The column a header cell names, or -1. */
static int column_of(const char *cell)
{
    while (*cell == ' ' || *cell == '\t')
        cell++;
    size_t n = strlen(cell);
    while (n > 0 && (cell[n - 1] == ' ' || cell[n - 1] == '\t'))
        n--;
    char name[40];
    if (n == 0 || n >= sizeof name)
        return -1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)tolower((unsigned char)cell[i]);
    name[n] = '\0';
    if (strcmp(name, "fieldwork.start") == 0)
        return COL_FIELDWORK_START;
    if (strcmp(name, "fieldwork.end") == 0)
        return COL_FIELDWORK_END;
    for (int c = 0; c < COL_COUNT; c++)
        if (strcmp(name, import_column_names[c]) == 0)
            return c;
    return -1;
}

int import_header_read(char *const *cells, size_t n, import_header *h, json_t *errors, char *separator)
{
    for (int c = 0; c < COL_COUNT; c++)
        h->cell_of[c] = -1;
    h->ncells = n;
    if (n == 1 && (strchr(cells[0], ';') || strchr(cells[0], '\t'))) {
        bool semi = strchr(cells[0], ';') != NULL;
        *separator = semi ? ';' : '\t';
        errors_add(errors, "header",
                   "the columns are separated by %s; this import reads comma-separated values (in a spreadsheet, "
                   "save as \"CSV UTF-8 (comma delimited)\")", semi ? "semicolons" : "tabs");
        return -1;
    }
    size_t before = json_array_size(errors);
    for (size_t i = 0; i < n; i++) {
        int c = column_of(cells[i]);
        if (c < 0) {
            errors_add(errors, cells[i], "is not a column of the import (column %zu of the header); the columns "
                       "are external_ref, title, summary, topics, communities, areas, fieldwork_start, "
                       "fieldwork_end, methods, engagement_level, expected_participants, contact_name, "
                       "contact_email, visibility (and id, organisation, status, version from an export)", i + 1);
        } else if (h->cell_of[c] >= 0) {
            errors_add(errors, cells[i], "is repeated (columns %d and %zu of the header name %s)",
                       h->cell_of[c] + 1, i + 1, import_column_names[c]);
        } else {
            h->cell_of[c] = (int)i;
        }
    }
    if (h->cell_of[COL_EXTERNAL_REF] < 0)
        errors_add(errors, "external_ref", "is a required column (each row is matched on it)");
    return json_array_size(errors) > before ? -1 : 0;
}

/* ---- cells ------------------------------------------------------------------------- */

static bool read_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool import_date(const char *s, char out[11])
{
    return import_date_why(s, out, NULL, 0);
}

bool import_date_why(const char *s, char out[11], char *why, size_t len)
{
    if (why && len > 0)
        why[0] = '\0';
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    int y, m, d;
    if (n == 10 && s[4] == '-' && s[7] == '-') {
        if (!read_digits(s, 4, &y) || !read_digits(s + 5, 2, &m) || !read_digits(s + 8, 2, &d))
            return false;
    } else {
        const char *a = memchr(s, '/', n);
        const char *b = a ? memchr(a + 1, '/', n - (size_t)(a + 1 - s)) : NULL;
        if (!a || !b)
            return false;
        int dl = (int)(a - s), ml = (int)(b - a - 1), yl = (int)(s + n - b - 1);
        if (dl < 1 || dl > 2 || ml < 1 || ml > 2 || yl != 4 || !read_digits(s, dl, &d) ||
            !read_digits(a + 1, ml, &m) || !read_digits(b + 1, 4, &y))
            return false;
    }
    char iso[16];
    snprintf(iso, sizeof iso, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    long days;
    if (!date_parse_why(iso, &days, why, len))
        return false;
    memcpy(out, iso, 11);
    return true;
}

bool csv_cell_needs_guard(const char *s)
{
    /* also a value that itself starts with apostrophes before a trigger, so
     * that removing one apostrophe on import gives it back exactly */
    while (*s == '\'')
        s++;
    return *s && strchr("=+-@\t\r", *s);
}

const char *csv_cell_unguard(const char *s)
{
    return s[0] == '\'' && csv_cell_needs_guard(s + 1) ? s + 1 : s;
}

static const char *trimmed(const char *s, size_t *n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
        l--;
    *n = l;
    return s;
}

static bool empty_cell(const char *s)
{
    size_t n;
    trimmed(s, &n);
    return n == 0;
}

/* "a; b;;c" -> ["a", "b", "c"] */
static json_t *split_list(const char *s)
{
    json_t *a = json_array();
    const char *p = s;
    for (;;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len > 0)
            json_array_append_new(a, json_stringn(p, len));
        if (!semi)
            break;
        p = semi + 1;
    }
    return a;
}

/* A whole number, with optional thousands separators ("1,200"); -1 when not one. */
static long long whole_number(const char *s)
{
    size_t n;
    s = trimmed(s, &n);
    long long v = 0;
    int digits = 0, group = -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',') {
            if (digits == 0 || (group >= 0 && group != 3) || (group < 0 && digits > 3))
                return -1;
            group = 0;
            continue;
        }
        if (!isdigit((unsigned char)s[i]) || v > 100000000000LL)
            return -1;
        v = v * 10 + (s[i] - '0');
        digits++;
        if (group >= 0)
            group++;
    }
    if (digits == 0 || (group >= 0 && group != 3))
        return -1;
    return v;
}

static json_t *object_member(json_t *body, const char *key)
{
    json_t *o = json_object_get(body, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(body, key, o);
    }
    return o;
}

int import_row_map(const import_header *h, char *const *cells, size_t n, import_row *out, json_t *errors)
{
    memset(out, 0, sizeof *out);
    out->body = json_object();
    size_t before = json_array_size(errors);
    for (int c = 0; c < COL_COUNT; c++) {
        int at = h->cell_of[c];
        if (at < 0)
            continue;
        const char *raw = (size_t)at < n ? cells[at] : "";
        const char *cell = csv_cell_unguard(raw);
        const char *name = import_column_names[c];
        bool empty = empty_cell(cell);
        size_t len;
        const char *t = trimmed(cell, &len);
        switch ((import_col)c) {
        case COL_TOPICS:
        case COL_COMMUNITIES:
        case COL_AREAS:
        case COL_METHODS:
            json_object_set_new(out->body, name, empty ? json_null() : split_list(cell));
            break;
        case COL_FIELDWORK_START:
        case COL_FIELDWORK_END: {
            json_t *fw = object_member(out->body, "fieldwork");
            const char *key = c == COL_FIELDWORK_START ? "start" : "end";
            char iso[11], why[80];
            if (empty)
                json_object_set_new(fw, key, json_null());
            else if (import_date_why(cell, iso, why, sizeof why))
                json_object_set_new(fw, key, json_string(iso));
            else if (why[0])
                errors_add(errors, name, "%.*s is not a real date: %s", (int)(len < 40 ? len : 40), t, why);
            else
                errors_add(errors, name, "must be a date, YYYY-MM-DD or DD/MM/YYYY (day first); got \"%.40s\"", t);
            break;
        }
        case COL_EXPECTED_PARTICIPANTS: {
            long long v = empty ? 0 : whole_number(cell);
            if (empty)
                json_object_set_new(out->body, name, json_null());
            else if (v < 0)
                errors_add(errors, name, "must be a whole number; got \"%.40s\"", t);
            else
                json_object_set_new(out->body, name, json_integer(v));
            break;
        }
        case COL_ENGAGEMENT_LEVEL: {
            char level[32];
            if (empty) {
                json_object_set_new(out->body, name, json_null());
                break;
            }
            size_t k = 0;
            for (; k < len && k + 1 < sizeof level; k++)
                level[k] = (char)tolower((unsigned char)t[k]);
            level[k] = '\0';
            json_object_set_new(out->body, name, json_string(level));
            break;
        }
        case COL_CONTACT_NAME:
        case COL_CONTACT_EMAIL:
            json_object_set_new(object_member(out->body, "contact"), c == COL_CONTACT_NAME ? "name" : "email",
                                empty ? json_null() : json_stringn(t, len));
            break;
        case COL_ID:
        case COL_ORGANISATION: {
            char *dst = c == COL_ID ? out->id : out->organisation;
            if (empty)
                break;
            char u[UUID_STR_LEN + 8];
            snprintf(u, sizeof u, "%.*s", (int)(len < sizeof u - 1 ? len : sizeof u - 1), t);
            if (!uuid_valid(u)) {
                errors_add(errors, name, "must be an id as the export writes it; got \"%.40s\"", t);
                break;
            }
            for (size_t k = 0; k < UUID_STR_LEN - 1; k++)
                dst[k] = (char)tolower((unsigned char)u[k]);
            dst[UUID_STR_LEN - 1] = '\0';
            break;
        }
        case COL_VERSION: {
            long long v = empty ? 0 : whole_number(cell);
            if (!empty && v < 1)
                errors_add(errors, name, "must be a version number as the export writes it; got \"%.40s\"", t);
            else
                out->version = (long)v;
            break;
        }
        case COL_STATUS: /* the server's; read back from an export and ignored */
            break;
        case COL_EXTERNAL_REF:
        case COL_TITLE:
        case COL_VISIBILITY:
            /* trimmed: a spreadsheet's stray spaces around a reference or a title are not meant */
            json_object_set_new(out->body, name, empty ? json_null() : json_stringn(t, len));
            break;
        case COL_SUMMARY:
            json_object_set_new(out->body, name, empty ? json_null() : json_string(cell));
            break;
        case COL_COUNT:
            break;
        }
    }
    out->external_ref = json_string_value(json_object_get(out->body, "external_ref"));
    return json_array_size(errors) > before ? -1 : 0;
}

void import_row_clear(import_row *r)
{
    json_decref(r->body);
    memset(r, 0, sizeof *r);
}

json_t *import_drop_nulls(const json_t *v)
{
    if (!json_is_object(v))
        return json_deep_copy(v);
    json_t *o = json_object();
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m) {
        if (!json_is_null(m))
            json_object_set_new(o, k, import_drop_nulls(m));
    }
    return o;
}

void import_field_name(const char *api_field, char *out, size_t len)
{
    if (strcmp(api_field, "fieldwork.start") == 0 || strcmp(api_field, "fieldwork.end") == 0 ||
        strcmp(api_field, "contact.name") == 0 || strcmp(api_field, "contact.email") == 0) {
        snprintf(out, len, "%s", api_field);
        char *dot = strchr(out, '.');
        if (dot)
            *dot = '_';
        return;
    }
    snprintf(out, len, "%s", api_field);
}

/* ---- rendering ---------------------------------------------------------------------- */

size_t csv_cell_max(const char *s)
{
    return 2 * strlen(s) + 3;
}

char *csv_cell_write(char *out, const char *s)
{
    size_t n = strlen(s);
    bool guard = csv_cell_needs_guard(s);
    bool quote = n > 0 && (strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[n - 1] == ' ');
    if (quote)
        *out++ = '"';
    if (guard)
        *out++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            *out++ = '"';
        *out++ = *p;
    }
    if (quote)
        *out++ = '"';
    return out;
}

const char *import_header_line(bool export_columns)
{
    return export_columns
               ? "external_ref,title,summary,topics,communities,areas,fieldwork_start,fieldwork_end,methods,"
                 "engagement_level,expected_participants,contact_name,contact_email,visibility,id,organisation,"
                 "status,version\r\n"
               : "external_ref,title,summary,topics,communities,areas,fieldwork_start,fieldwork_end,methods,"
                 "engagement_level,expected_participants,contact_name,contact_email,visibility\r\n";
}

const char *import_example_line(void)
{
    return "CAM-2027-014,Adult social care charging policy,\"We want to hear from people who pay towards their "
           "care, and from their carers.\",adult-social-care;Carers support,older-people;carers,E09000007,"
           "01/03/2027,2027-04-15,survey;focus-group,consult,400,Engagement team,engage@example.org,\r\n";
}

/* A growing line. */
typedef struct linebuf {
    char *p;
    size_t n, cap;
    bool oom;
} linebuf;

static void lb_reserve(linebuf *b, size_t more)
{
    if (b->oom || b->n + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void lb_cell(linebuf *b, const char *s, bool first)
{
    lb_reserve(b, csv_cell_max(s) + 1);
    if (b->oom)
        return;
    if (!first)
        b->p[b->n++] = ',';
    b->n = (size_t)(csv_cell_write(b->p + b->n, s) - b->p);
}

/* A list member as "a;b;c" (malloc'd). */
static char *joined(const json_t *arr)
{
    size_t total = 1, i;
    const json_t *e;
    json_array_foreach(arr, i, e)
        total += strlen(json_string_value(e) ? json_string_value(e) : "") + 1;
    char *s = malloc(total);
    if (!s)
        return NULL;
    size_t o = 0;
    json_array_foreach(arr, i, e) {
        const char *v = json_string_value(e) ? json_string_value(e) : "";
        if (i)
            s[o++] = ';';
        memcpy(s + o, v, strlen(v));
        o += strlen(v);
    }
    s[o] = '\0';
    return s;
}

/* A scalar member as text ("" for null or absent). */
static void scalar_text(const json_t *v, char *buf, size_t len, const char **out)
{
    if (json_is_string(v))
        *out = json_string_value(v);
    else if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        *out = buf;
    } else {
        *out = "";
    }
}

char *import_render_row(const json_t *doc, size_t *len)
{
    linebuf b = { 0 };
    const json_t *fw = json_object_get(doc, "fieldwork");
    const json_t *contact = json_object_get(doc, "contact");
    const json_t *org = json_object_get(doc, "organisation");
    for (int c = 0; c < COL_COUNT; c++) {
        const json_t *v;
        switch ((import_col)c) {
        case COL_FIELDWORK_START: v = json_object_get(fw, "start"); break;
        case COL_FIELDWORK_END: v = json_object_get(fw, "end"); break;
        case COL_CONTACT_NAME: v = json_object_get(contact, "name"); break;
        case COL_CONTACT_EMAIL: v = json_object_get(contact, "email"); break;
        case COL_ORGANISATION: v = json_is_object(org) ? json_object_get(org, "id") : org; break;
        default: v = json_object_get(doc, import_column_names[c]); break;
        }
        if (json_is_array(v)) {
            char *s = joined(v);
            if (!s)
                b.oom = true;
            else
                lb_cell(&b, s, c == 0);
            free(s);
        } else {
            char num[32];
            const char *s;
            scalar_text(v, num, sizeof num, &s);
            lb_cell(&b, s, c == 0);
        }
    }
    lb_reserve(&b, 3);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    b.p[b.n++] = '\r';
    b.p[b.n++] = '\n';
    b.p[b.n] = '\0';
    *len = b.n;
    return b.p;
}

/* ---- records ---------------------------------------------------------------------------- */

void csv_records_field(void *s, size_t len, void *data)
{
    csv_records *r = data;
    if (r->failed)
        return;
    if (r->n >= IMPORT_MAX_COLUMNS) {
        r->too_many = true;
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        char **c = realloc(r->cells, cap * sizeof *c);
        if (!c) {
            r->failed = true;
            return;
        }
        r->cells = c;
        r->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        r->failed = true;
        return;
    }
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    r->cells[r->n++] = copy;
}

static void drop_cells(csv_records *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->cells[i]);
    r->n = 0;
}

void csv_records_end(int c, void *data)
{
    (void)c;
    csv_records *r = data;
    if (!r->failed && r->on_record(r->arg, r->cells, r->n) != 0)
        r->failed = true;
    drop_cells(r);
    r->too_many = false;
}

void csv_records_clear(csv_records *r)
{
    drop_cells(r);
    free(r->cells);
    r->cells = NULL;
    r->cap = 0;
}
