/* subscription.c - checking a subscription request. */
#include "subscription.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "area_input.h"
#include "field_errors.h"
#include "net_guard.h"

const char *const subscription_event_types[] = { "overlap.detected", "overlap.updated", "fatigue.exceeded",
                                                 "ping", NULL };
static const char *const fields[] = { "url", "email", "format", "events", "filters", "delivery", "digest_time",
                                      "digest_day", NULL };
static const char *const filter_fields[] = { "areas", "topics", "communities", "min_level", NULL };
static const char *const levels[] = { "low", "medium", "high", NULL };

static bool in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static void check_url(const char *url, bool allow_private, json_t *errors)
{
    if (strlen(url) > SUBSCRIPTION_URL_MAX) {
        errors_add(errors, "url", "must be at most %d characters", SUBSCRIPTION_URL_MAX);
        return;
    }
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    if (!u || has_control(url) || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        errors_add(errors, "url", "must be an absolute http:// or https:// URL");
    } else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        errors_add(errors, "url", "must use https (or http), not %s", scheme);
    } else if (!allow_private && (net_literal_private(host) || strcasecmp(host, "localhost") == 0)) {
        errors_add(errors, "url", "must not point to a private, loopback or link-local address "
                                  "(alerts.allow_private_targets is off)");
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
}

static void check_email(const char *email, json_t *errors)
{
    const char *at = strchr(email, '@');
    size_t n = strlen(email);
    if (n > SUBSCRIPTION_EMAIL_MAX || !at || at == email || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
        at[1] == '.' || email[n - 1] == '.' || has_control(email) || strpbrk(email, " <>(),;:\\\"[]"))
        errors_add(errors, "email", "must be an e-mail address such as coordinator@example.org");
}

/* Appends s to arr unless present. */
static void add_unique(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return;
    json_array_append_new(arr, json_string(s));
}

/* A filter array of strings: each checked by the caller through resolve. */
static const json_t *string_array(const json_t *filters, const char *key, const char *field, json_t *errors)
{
    const json_t *a = json_object_get(filters, key);
    if (!a || json_is_null(a))
        return NULL;
    if (!json_is_array(a) || json_array_size(a) > SUBSCRIPTION_FILTER_MAX) {
        errors_add(errors, field, "must be an array of at most %d strings", SUBSCRIPTION_FILTER_MAX);
        return NULL;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
        if (!json_is_string(v)) {
            errors_add(errors, field, "must be an array of strings");
            return NULL;
        }
    return a;
}

static void parse_terms(const json_t *filters, const char *key, const vocab *v, vocab_kind kind, json_t *given,
                        json_t *match, json_t *errors)
{
    char field[32];
    snprintf(field, sizeof field, "filters.%s", key);
    const json_t *a = string_array(filters, key, field, errors);
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e) {
        const vocab_term *t = v ? vocab_resolve(v, kind, json_string_value(e)) : NULL;
        if (!t) {
            char f[64];
            snprintf(f, sizeof f, "%s[%zu]", field, i);
            errors_add(errors, f, "\"%s\" is not in the %s vocabulary (GET /v1/vocabularies/%s)",
                       json_string_value(e), vocab_kind_name(kind), vocab_kind_name(kind));
            continue;
        }
        add_unique(given, t->code);
        json_t *wide = json_array();
        vocab_expand(v, kind, t->code, wide);
        if (t->parent)
            json_array_append_new(wide, json_string(t->parent));
        size_t k;
        json_t *w;
        json_array_foreach(wide, k, w)
            add_unique(match, json_string_value(w));
        json_decref(wide);
    }
}

static void parse_areas(const json_t *filters, const area_register *r, subscription_input *out, json_t *errors)
{
    const json_t *a = string_array(filters, "areas", "filters.areas", errors);
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e) {
        char f[48];
        snprintf(f, sizeof f, "filters.areas[%zu]", i);
        area_code code;
        if (!area_input_resolve(r, json_string_value(e), f, code, errors, NULL))
            continue;
        const area_info *info = r ? areas_find(r, code) : NULL;
        if (!info) {
            errors_add(errors, f, "\"%s\" is not in the area register (GET /v1/areas?q=)", code);
            continue;
        }
        add_unique(out->areas, info->code);
        for (size_t k = 0; k < info->nreach; k++) /* its ancestors, and the places it is one with */
            add_unique(out->area_ancestors, info->reach[k]);
    }
}

static void parse_events(const json_t *body, subscription_input *out, json_t *errors)
{
    const json_t *a = json_object_get(body, "events");
    if (!a || json_is_null(a)) {
        for (const char *const *t = subscription_event_types; *t; t++)
            if (strcmp(*t, "ping") != 0)
                json_array_append_new(out->events, json_string(*t));
        return;
    }
    if (!json_is_array(a) || json_array_size(a) == 0) {
        errors_add(errors, "events", "must be a non-empty array of event types");
        return;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e) {
        if (!in_list(json_string_value(e), subscription_event_types)) {
            char f[32];
            snprintf(f, sizeof f, "events[%zu]", i);
            errors_add(errors, f, "must be one of overlap.detected, overlap.updated, fatigue.exceeded, ping");
            continue;
        }
        add_unique(out->events, json_string_value(e));
    }
}

static void parse_delivery(const json_t *body, subscription_input *out, json_t *errors)
{
    const json_t *del = json_object_get(body, "delivery"), *tm = json_object_get(body, "digest_time"),
                 *day = json_object_get(body, "digest_day");
    digest_schedule *s = &out->schedule;
    s->delivery = DIGEST_IMMEDIATE;
    /* with a bad delivery, the time and day are checked only for their form */
    bool unknown = del && !json_is_null(del) && digest_delivery_parse(json_string_value(del), &s->delivery) < 0;
    if (unknown)
        errors_add(errors, "delivery", "must be \"immediate\", \"daily\" or \"weekly\"");
    bool digest = s->delivery != DIGEST_IMMEDIATE;
    const char *t = tm && !json_is_null(tm) ? json_string_value(tm) : DIGEST_DEFAULT_TIME;
    if (tm && !json_is_null(tm) && !digest && !unknown)
        errors_add(errors, "digest_time", "applies only to a digest: set delivery to \"daily\" or \"weekly\"");
    else if (digest_time_parse(t, &s->minute) < 0)
        errors_add(errors, "digest_time", "must be a time of day as HH:MM (00:00 to 23:59, UK time)");
    else if (digest)
        snprintf(out->digest_time, sizeof out->digest_time, "%s", t);
    char lower[16] = "";
    const char *d = day && !json_is_null(day) ? json_string_value(day) : DIGEST_DEFAULT_DAY;
    for (size_t i = 0; d && d[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ? d[i] - 'A' + 'a' : d[i]);
    if (day && !json_is_null(day) && s->delivery != DIGEST_WEEKLY && !unknown)
        errors_add(errors, "digest_day", "applies only to a weekly digest: set delivery to \"weekly\"");
    else if (!d || strlen(d) >= sizeof lower || digest_day_parse(lower, &s->weekday) < 0)
        errors_add(errors, "digest_day", "must be a day of the week: monday, tuesday, ..., sunday");
}

int subscription_parse(const json_t *body, const vocab *v, const area_register *areas, bool allow_private,
                       subscription_input *out, json_t *errors)
{
    memset(out, 0, sizeof *out);
    json_t **arrays[] = { &out->events, &out->areas, &out->area_ancestors, &out->topics,
                          &out->match_topics, &out->communities, &out->match_communities };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        *arrays[i] = json_array();
    size_t before = json_array_size(errors);
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)body, key, val)
        if (!in_list(key, fields))
            errors_add(errors, key, "is not a field of a subscription");

    const json_t *url = json_object_get(body, "url"), *email = json_object_get(body, "email");
    if ((url && !json_is_null(url)) == (email && !json_is_null(email))) {
        errors_add(errors, "url", "give exactly one of url (a webhook) and email");
    } else if (url && !json_is_null(url)) {
        out->url = json_string_value(url);
        if (!out->url)
            errors_add(errors, "url", "must be a string");
        else
            check_url(out->url, allow_private, errors);
    } else {
        out->email = json_string_value(email);
        if (!out->email)
            errors_add(errors, "email", "must be a string");
        else
            check_email(out->email, errors);
    }

    const json_t *format = json_object_get(body, "format");
    out->format = "standard";
    if (format && !json_is_null(format)) {
        if (!in_list(json_string_value(format), (const char *const[]){ "standard", "slack", NULL }))
            errors_add(errors, "format", "must be \"standard\" or \"slack\"");
        else
            out->format = json_string_value(format);
        if (out->email && strcmp(out->format, "slack") == 0)
            errors_add(errors, "format", "\"slack\" needs a url (an incoming webhook), not an email");
    }
    parse_events(body, out, errors);
    parse_delivery(body, out, errors);

    const json_t *filters = json_object_get(body, "filters");
    out->min_level = "low";
    if (filters && !json_is_null(filters)) {
        if (!json_is_object(filters)) {
            errors_add(errors, "filters", "must be an object");
        } else {
            json_object_foreach((json_t *)filters, key, val)
                if (!in_list(key, filter_fields)) {
                    char f[80];
                    snprintf(f, sizeof f, "filters.%.60s", key);
                    errors_add(errors, f, "is not a filter (areas, topics, communities, min_level)");
                }
            parse_areas(filters, areas, out, errors);
            parse_terms(filters, "topics", v, VOCAB_TOPICS, out->topics, out->match_topics, errors);
            parse_terms(filters, "communities", v, VOCAB_COMMUNITIES, out->communities, out->match_communities,
                        errors);
            const json_t *lv = json_object_get(filters, "min_level");
            if (lv && !json_is_null(lv)) {
                if (!in_list(json_string_value(lv), levels))
                    errors_add(errors, "filters.min_level", "must be \"low\", \"medium\" or \"high\"");
                else
                    out->min_level = json_string_value(lv);
            }
        }
    }
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (!*arrays[i])
            return -1;
    return json_array_size(errors) > before ? -1 : 0;
}

void subscription_input_free(subscription_input *s)
{
    json_t *arrays[] = { s->events, s->areas, s->area_ancestors, s->topics,
                         s->match_topics, s->communities, s->match_communities };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        json_decref(arrays[i]);
    memset(s, 0, sizeof *s);
}
