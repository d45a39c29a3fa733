/* consultation.c - request validation for consultations. */
#include "consultation.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "area_input.h"
#include "civil_date.h"
#include "field_errors.h"
#include "ons_csv.h"

static const char *const client_fields[] = {
    "title", "summary", "topics", "communities", "areas", "fieldwork", "methods",
    "engagement_level", "expected_participants", "contact", "external_ref", "visibility", NULL
};
static const char *const server_fields[] = {
    "id", "organisation", "status", "version", "created_at", "updated_at", "overlaps",
    "inferred", "warnings", NULL
};
static const char *const levels[] = { "inform", "consult", "involve", "collaborate", "empower", NULL };
static const char *const visibilities[] = { "partners", "public", NULL };

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

bool consultation_server_field(const char *name)
{
    return in_list(name, server_fields);
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static bool has_control(const char *s, bool allow_newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(allow_newlines && (*p == '\n' || *p == '\r' || *p == '\t'))) || *p == 0x7f)
            return true;
    return false;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

bool date_parse_why(const char *s, long *days, char *why, size_t len)
{
    if (why && len > 0)
        why[0] = '\0';
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    long y = strtol(s, NULL, 10), m = strtol(s + 5, NULL, 10), d = strtol(s + 8, NULL, 10);
    if (y < 1900 || y > 9999) {
        if (why && len > 0)
            snprintf(why, len, "the year must be between 1900 and 9999");
        return false;
    }
    if (!civil_date_exists((int)y, (int)m, (int)d, why, len))
        return false;
    *days = civil_days((int)y, (int)m, (int)d);
    return true;
}

bool date_parse_field(const char *s, long *days, const char *field, const char *form_message, json_t *errors)
{
    char why[80];
    if (date_parse_why(s, days, why, sizeof why))
        return true;
    if (why[0])
        errors_add(errors, field, "%.20s is not a real date: %s", s, why);
    else
        errors_add(errors, field, "%s", form_message);
    return false;
}

bool date_parse(const char *s, long *days)
{
    return date_parse_why(s, days, NULL, 0);
}

bool email_valid(const char *s)
{
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len > EMAIL_MAX || !at || at == s || at - s > 64 || strchr(at + 1, '@'))
        return false;
    for (const char *p = s; p < at; p++)
        if ((unsigned char)*p <= 0x20 || strchr("()<>,;:\\\"[]", *p))
            return false;
    const char *domain = at + 1;
    if (!strchr(domain, '.') || *domain == '.' || domain[strlen(domain) - 1] == '.')
        return false;
    const char *label = domain;
    for (const char *p = domain;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t l = (size_t)(p - label);
            if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-')
                return false;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!isalnum((unsigned char)*p) && *p != '-') {
            return false;
        }
    }
    return true;
}

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static bool strlist_has(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

/* Appends a copy unless already present. */
static bool in_strlist(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static int strlist_add(strlist *l, const char *s)
{
    if (strlist_has(l, s))
        return 0;
    char **n = realloc(l->items, (l->n + 1) * sizeof *n);
    if (!n)
        return -1;
    l->items = n;
    if (!(l->items[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

void consultation_free(consultation *c)
{
    free(c->title);
    free(c->summary);
    strlist_free(&c->topics);
    strlist_free(&c->communities);
    strlist_free(&c->areas);
    strlist_free(&c->methods);
    free(c->contact_name);
    free(c->contact_email);
    free(c->external_ref);
    memset(c, 0, sizeof *c);
}

/* A string field: NULL when absent or null; error when not a string. */
static const char *opt_string(const json_t *obj, const char *key, const char *field, json_t *errors)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        errors_add(errors, field, "must be a string");
        return NULL;
    }
    return json_string_value(v);
}

static void check_text(const char *s, const char *field, size_t min, size_t max, bool newlines, json_t *errors)
{
    size_t n = utf8_length(s);
    if (n < min || (min > 0 && blank(s)))
        errors_add(errors, field, "must not be empty");
    else if (n > max)
        errors_add(errors, field, "must be at most %zu characters (got %zu)", max, n);
    else if (has_control(s, newlines))
        errors_add(errors, field, "must not contain control characters");
}

/* Vocabulary lists: resolve entries; free tags allowed for topics/communities. */
static void parse_terms(const json_t *obj, const char *key, const vocab *v, vocab_kind kind, bool free_tags,
                        strlist *out, json_t *errors, json_t *warnings)
{
    const json_t *arr = json_object_get(obj, key);
    if (!arr || json_is_null(arr))
        return;
    if (!json_is_array(arr)) {
        errors_add(errors, key, "must be an array of strings");
        return;
    }
    if (json_array_size(arr) > TERMS_MAX) {
        errors_add(errors, key, "must have at most %d entries", TERMS_MAX);
        return;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        char field[64];
        snprintf(field, sizeof field, "%s[%zu]", key, i);
        if (!json_is_string(e)) {
            errors_add(errors, field, "must be a string");
            continue;
        }
        const char *s = json_string_value(e);
        size_t before = json_array_size(errors);
        check_text(s, field, 1, TERM_TEXT_MAX, false, errors);
        if (json_array_size(errors) != before)
            continue;
        const vocab_term *t = vocab_resolve(v, kind, s);
        if (t) {
            strlist_add(out, t->code);
        } else if (free_tags) {
            strlist_add(out, s);
            char w[256];
            snprintf(w, sizeof w, "%s: \"%s\" is not in the %s vocabulary; kept as a free tag", field, s,
                     vocab_kind_name(kind));
            json_array_append_new(warnings, json_string(w));
        } else {
            errors_add(errors, field, "\"%s\" is not in the %s vocabulary (GET /v1/vocabularies/%s)", s,
                       vocab_kind_name(kind), vocab_kind_name(kind));
        }
    }
}

static void parse_areas(const json_t *obj, const area_register *reg, consultation *out, json_t *errors,
                        json_t *warnings)
{
    const json_t *arr = json_object_get(obj, "areas");
    if (!arr || json_is_null(arr)) {
        errors_add(errors, "areas", "is required");
        return;
    }
    if (!json_is_array(arr)) {
        errors_add(errors, "areas", "must be an array of ONS GSS codes or area names");
        return;
    }
    size_t n = json_array_size(arr);
    if (n < 1 || n > AREAS_MAX) {
        errors_add(errors, "areas", "must have 1 to %d entries (got %zu)", AREAS_MAX, n);
        return;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        char field[32];
        snprintf(field, sizeof field, "areas[%zu]", i);
        if (!json_is_string(e)) {
            errors_add(errors, field, "must be a string");
            continue;
        }
        const char *s = json_string_value(e);
        size_t before = json_array_size(errors);
        check_text(s, field, 1, AREA_TEXT_MAX, false, errors);
        area_code code;
        if (json_array_size(errors) != before || !area_input_resolve(reg, s, field, code, errors, warnings))
            continue;
        if (!in_strlist(&out->areas, code)) /* "Camden" and "E09000007" are one area */
            strlist_add(&out->areas, code);
    }
}

static void parse_fieldwork(const json_t *obj, consultation *out, json_t *errors)
{
    const json_t *fw = json_object_get(obj, "fieldwork");
    if (!fw || json_is_null(fw)) {
        errors_add(errors, "fieldwork", "is required");
        return;
    }
    if (!json_is_object(fw)) {
        errors_add(errors, "fieldwork", "must be an object with start and end dates");
        return;
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)fw, key, val) {
        if (strcmp(key, "start") != 0 && strcmp(key, "end") != 0) {
            char field[80];
            snprintf(field, sizeof field, "fieldwork.%.60s", key);
            errors_add(errors, field, "unknown field");
        }
    }
    long d[2] = { 0, 0 };
    bool ok[2] = { false, false };
    const char *names[2] = { "start", "end" };
    char *dest[2] = { out->start, out->end };
    for (int i = 0; i < 2; i++) {
        char field[32], form[80];
        snprintf(field, sizeof field, "fieldwork.%s", names[i]);
        const json_t *v = json_object_get(fw, names[i]);
        if (!v || json_is_null(v))
            errors_add(errors, field, "is required");
        else if (!json_is_string(v))
            errors_add(errors, field, "must be a date string (YYYY-MM-DD)");
        else {
            snprintf(form, sizeof form, "must be a real calendar date as YYYY-MM-DD (got \"%.20s\")",
                     json_string_value(v));
            if (date_parse_field(json_string_value(v), &d[i], field, form, errors)) {
                ok[i] = true;
                memcpy(dest[i], json_string_value(v), 11);
            }
        }
    }
    if (ok[0] && ok[1]) {
        if (d[1] < d[0])
            errors_add(errors, "fieldwork.end", "must not be before fieldwork.start");
        else if (d[1] - d[0] > FIELDWORK_MAX_DAYS)
            errors_add(errors, "fieldwork.end", "must be within two years of fieldwork.start");
    }
}

static void parse_contact(const json_t *obj, consultation *out, json_t *errors)
{
    const json_t *c = json_object_get(obj, "contact");
    if (!c || json_is_null(c))
        return;
    if (!json_is_object(c)) {
        errors_add(errors, "contact", "must be an object with name and email");
        return;
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)c, key, val) {
        if (strcmp(key, "name") != 0 && strcmp(key, "email") != 0) {
            char field[80];
            snprintf(field, sizeof field, "contact.%.60s", key);
            errors_add(errors, field, "unknown field");
        }
    }
    const char *name = opt_string(c, "name", "contact.name", errors);
    if (name) {
        check_text(name, "contact.name", 0, CONTACT_NAME_MAX, false, errors);
        out->contact_name = strdup(name);
    }
    const char *email = opt_string(c, "email", "contact.email", errors);
    if (email) {
        if (!email_valid(email))
            errors_add(errors, "contact.email", "must be an e-mail address like name@example.org");
        else
            out->contact_email = strdup(email);
    }
}

/* Neither topics nor communities were given: infer both from the text. */
static void infer_terms(consultation *c, const vocab *v, json_t *warnings)
{
    size_t len = strlen(c->title) + strlen(c->summary) + 2;
    char *text = malloc(len);
    json_t *topics = json_array(), *communities = json_array();
    if (text) {
        snprintf(text, len, "%s %s", c->title, c->summary);
        if (vocab_infer(v, text, topics, communities) > 0) {
            size_t i;
            json_t *e;
            json_array_foreach(topics, i, e) strlist_add(&c->topics, json_string_value(e));
            json_array_foreach(communities, i, e) strlist_add(&c->communities, json_string_value(e));
            c->inferred = true;
            json_array_append_new(warnings, json_string("topics and communities were not given: inferred from "
                                                        "the title and summary"));
        }
    }
    free(text);
    json_decref(topics);
    json_decref(communities);
}

int consultation_parse(const json_t *obj, const vocab *v, const area_register *areas, consultation *out,
                       json_t *errors, json_t *warnings)
{
    memset(out, 0, sizeof *out);
    size_t errors_before = json_array_size(errors);
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        if (consultation_server_field(key))
            errors_add(errors, key, "is set by the server and cannot be sent");
        else if (!in_list(key, client_fields))
            errors_add(errors, key, "unknown field");
    }

    const json_t *title = json_object_get(obj, "title");
    if (!title || json_is_null(title))
        errors_add(errors, "title", "is required");
    else if (!json_is_string(title))
        errors_add(errors, "title", "must be a string");
    else {
        check_text(json_string_value(title), "title", 1, TITLE_MAX, false, errors);
        out->title = strdup(json_string_value(title));
    }
    const char *summary = opt_string(obj, "summary", "summary", errors);
    if (summary)
        check_text(summary, "summary", 0, SUMMARY_MAX, true, errors);
    out->summary = strdup(summary ? summary : "");

    parse_terms(obj, "topics", v, VOCAB_TOPICS, true, &out->topics, errors, warnings);
    parse_terms(obj, "communities", v, VOCAB_COMMUNITIES, true, &out->communities, errors, warnings);
    parse_terms(obj, "methods", v, VOCAB_METHODS, false, &out->methods, errors, warnings);
    parse_areas(obj, areas, out, errors, warnings);
    parse_fieldwork(obj, out, errors);

    out->engagement_level = "consult";
    const char *level = opt_string(obj, "engagement_level", "engagement_level", errors);
    if (level) {
        const char *const *l;
        for (l = levels; *l && strcmp(*l, level) != 0; l++)
            ;
        if (*l)
            out->engagement_level = *l;
        else
            errors_add(errors, "engagement_level", "must be one of inform, consult, involve, collaborate, empower");
    }

    const json_t *ep = json_object_get(obj, "expected_participants");
    if (ep && !json_is_null(ep)) {
        if (!json_is_integer(ep))
            errors_add(errors, "expected_participants", "must be a whole number");
        else if (json_integer_value(ep) < 0 || json_integer_value(ep) > PARTICIPANTS_MAX)
            errors_add(errors, "expected_participants", "must be from 0 to %d", PARTICIPANTS_MAX);
        else {
            out->expected_participants = json_integer_value(ep);
            out->has_participants = true;
        }
    }
    parse_contact(obj, out, errors);

    const char *ref = opt_string(obj, "external_ref", "external_ref", errors);
    if (ref) {
        check_text(ref, "external_ref", 1, EXTERNAL_REF_MAX, false, errors);
        out->external_ref = strdup(ref);
    }

    out->visibility = "partners";
    const char *vis = opt_string(obj, "visibility", "visibility", errors);
    if (vis) {
        const char *const *l;
        for (l = visibilities; *l && strcmp(*l, vis) != 0; l++)
            ;
        if (*l)
            out->visibility = *l;
        else
            errors_add(errors, "visibility", "must be partners or public");
    }

    if (json_array_size(errors) != errors_before) {
        consultation_free(out);
        return -1;
    }
    if (out->topics.n == 0 && out->communities.n == 0)
        infer_terms(out, v, warnings);
    return 0;
}

char *strlist_to_pg(const strlist *l)
{
    size_t cap = 3;
    for (size_t i = 0; i < l->n; i++)
        cap += 2 * strlen(l->items[i]) + 3;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            out[o++] = ',';
        out[o++] = '"';
        for (const char *p = l->items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                out[o++] = '\\';
            out[o++] = *p;
        }
        out[o++] = '"';
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

char *consultation_response_text(const char *doc, json_t *warnings, json_t *overlaps)
{
    size_t n = strlen(doc);
    while (n > 0 && (doc[n - 1] == ' ' || doc[n - 1] == '\n'))
        n--;
    if (n < 2 || doc[0] != '{' || doc[n - 1] != '}')
        return NULL;
    char *w = json_dumps(warnings, JSON_COMPACT);
    char *o = overlaps ? json_dumps(overlaps, JSON_COMPACT) : strdup("[]");
    size_t len = n + (w ? strlen(w) : 0) + (o ? strlen(o) : 0) + 32;
    char *out = w && o ? malloc(len) : NULL;
    if (out) {
        bool empty = n == 2 || strspn(doc + 1, " \n") == n - 2;
        snprintf(out, len, "%.*s%s\"warnings\":%s,\"overlaps\":%s}", (int)(n - 1), doc, empty ? "" : ",", w, o);
    }
    free(w);
    free(o);
    return out;
}

char *int64s_to_pg(const int64_t *v, size_t n)
{
    char *out = malloc(n * 21 + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++) { /* by hand: a write formats a hundred keys or more */
        if (i)
            out[o++] = ',';
        uint64_t x = v[i] < 0 ? (uint64_t)0 - (uint64_t)v[i] : (uint64_t)v[i];
        if (v[i] < 0)
            out[o++] = '-';
        char digits[20];
        int d = 0;
        do {
            digits[d++] = (char)('0' + x % 10);
            x /= 10;
        } while (x);
        while (d)
            out[o++] = digits[--d];
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

json_t *json_merge_patch(const json_t *target, const json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *result = json_is_object(target) ? json_deep_copy(target) : json_object();
    if (!result)
        return NULL;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)patch, key, val) {
        if (json_is_null(val)) {
            json_object_del(result, key);
        } else {
            json_t *merged = json_merge_patch(json_object_get(result, key), val);
            if (!merged || json_object_set_new(result, key, merged) < 0) {
                /* never a patch applied in part */
                json_decref(result);
                return NULL;
            }
        }
    }
    return result;
}
