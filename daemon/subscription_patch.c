/* subscription_patch.c - a subscription's merge patch and its digest windows. */
#include "subscription_patch.h"

#include <string.h>

#include "consultation.h"
#include "field_errors.h"

/* What a patch may name; the server owns the rest of subscription_json. */
static const char *const changeable[] = { "format", "events", "filters", "delivery", "digest_time", "digest_day",
                                          NULL };
static const char *const fixed[] = { "url", "email", NULL };
static const char *const server_owned[] = { "id", "organisation", "status", "disabled_reason", "version",
                                            "created_at", "updated_at", "next_digest_at", "secret", NULL };

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* Copies key from stored into base unless it is null or absent. */
static int keep(json_t *base, const json_t *stored, const char *key)
{
    const json_t *v = json_object_get(stored, key);
    return !v || json_is_null(v) ? 0 : json_object_set_new(base, key, json_deep_copy(v));
}

static bool is_digest(const char *delivery)
{
    return delivery && (strcmp(delivery, "daily") == 0 || strcmp(delivery, "weekly") == 0);
}

json_t *subscription_patch_body(const json_t *stored, const json_t *patch, json_t *errors)
{
    if (!json_is_object(stored) || !json_is_object(patch)) {
        errors_add(errors, "", "must be a JSON object (a JSON Merge Patch, RFC 7396)");
        return NULL;
    }
    json_t *allowed = json_object(); /* the patch without the members refused here */
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)patch, key, val) {
        if (in_list(key, fixed)) {
            if (!json_equal(val, json_object_get(stored, key)))
                errors_add(errors, key, "cannot be changed (nor the signing secret): create a new subscription "
                                        "for another target and delete this one");
        } else if (strcmp(key, "secret") == 0) {
            errors_add(errors, key, "cannot be changed: it is shown once, when the subscription is created");
        } else if (in_list(key, server_owned)) {
            errors_add(errors, key, "is set by the server and cannot be changed");
        } else if (!in_list(key, changeable)) {
            errors_add(errors, key, "is not a field of a subscription");
        } else if (allowed && json_object_set(allowed, key, val) != 0) {
            json_decref(allowed);
            allowed = NULL;
        }
    }
    if (!allowed)
        return NULL;

    json_t *base = json_object();
    const char *base_keys[] = { "url", "email", "format", "events", "filters", "delivery", "digest_time",
                                "digest_day" };
    for (size_t i = 0; base && i < sizeof base_keys / sizeof base_keys[0]; i++)
        if (keep(base, stored, base_keys[i]) != 0) {
            json_decref(base);
            base = NULL;
        }
    json_t *merged = base ? json_merge_patch(base, allowed) : NULL;
    json_decref(base);
    json_decref(allowed);
    if (!merged)
        return NULL;
    /* settings the new delivery does not use go, unless the patch sets them */
    const char *delivery = json_string_value(json_object_get(merged, "delivery"));
    if (!json_object_get(patch, "digest_time") && !is_digest(delivery))
        json_object_del(merged, "digest_time");
    if (!json_object_get(patch, "digest_day") && !(delivery && strcmp(delivery, "weekly") == 0))
        json_object_del(merged, "digest_day");
    return merged;
}

void subscription_reschedule_for(const digest_schedule *old, time_t old_last_end, const digest_schedule *now_sched,
                                 time_t now, time_t open_from, subscription_reschedule *out)
{
    memset(out, 0, sizeof *out);
    bool was = old->delivery != DIGEST_IMMEDIATE, will = now_sched->delivery != DIGEST_IMMEDIATE;
    if (!will) {
        out->flush = was;
        if (was)
            out->flush_end = now > old_last_end ? now : old_last_end + 1;
        return;
    }
    out->last_end = was ? old_last_end : (open_from > now ? open_from : now);
    out->next_at = digest_next_after(now_sched, out->last_end);
}
