/* libFuzzer target: arbitrary bytes through the request-body path that every
 * POST and PATCH takes — strict JSON parsing (duplicate keys rejected), then
 * validation into a consultation, a merge patch onto a valid document, and
 * the area-scope and overlap key computations on whatever validates.
 *
 *   make fuzz FUZZ_SECONDS=60
 *
 * Built with clang -fsanitize=fuzzer,address,undefined; any crash, leak or
 * undefined behaviour stops the run with the input that caused it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "consultation.h"
#include "overlap.h"

static vocab *v;

static void setup(void)
{
    v = vocab_new();
    const char *syn[] = { "social care" };
    vocab_add(v, VOCAB_TOPICS, "adult-social-care", "Adult social care", NULL, syn, 1);
    vocab_add(v, VOCAB_TOPICS, "carers-support", "Carers support", "adult-social-care", NULL, 0);
    vocab_add(v, VOCAB_COMMUNITIES, "carers", "Unpaid carers", NULL, NULL, 0);
    vocab_add(v, VOCAB_COMMUNITIES, "general-public", "General public", NULL, NULL, 0);
    vocab_add(v, VOCAB_METHODS, "survey", "Survey", NULL, NULL, 0);
    vocab_finish(v);
}

static void exercise(const json_t *body)
{
    json_t *errors = json_array(), *warnings = json_array();
    consultation c;
    if (consultation_parse(body, v, NULL, &c, errors, warnings) == 0) {
        char *lit = strlist_to_pg(&c.areas);
        free(lit);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[], s:[], s:s, s:s, s:s}", "id", "a", "organisation",
                                "o", "title", c.title, "areas", "scope", "topics", "communities", "start", c.start,
                                "end", c.end, "engagement_level", c.engagement_level);
        for (size_t i = 0; doc && i < c.areas.n; i++) {
            json_array_append_new(json_object_get(doc, "areas"), json_string(c.areas.items[i]));
            json_array_append_new(json_object_get(doc, "scope"), json_string(c.areas.items[i]));
        }
        overlap_side s;
        if (doc && overlap_side_init(&s, doc) == 0) {
            size_t n;
            bool *x;
            free(overlap_keys(&s, &n));
            free(overlap_probe_keys(&s, 28, &n));
            int64_t *l = overlap_locks(&s, 28, &x, &n);
            free(l);
            free(x);
            overlap_result r;
            overlap_evaluate(&s, &s, v, NULL, NULL, 28, &r);
            overlap_result_clear(&r);
            overlap_side_clear(&s);
        }
        json_decref(doc);
        consultation_free(&c);
    }
    json_decref(errors);
    json_decref(warnings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!v)
        setup();
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    exercise(body);
    /* the same bytes as a merge patch onto a valid consultation */
    json_t *base = json_pack("{s:s, s:[s], s:{s:s, s:s}}", "title", "Library hours", "areas", "E09000007",
                             "fieldwork", "start", "2027-03-01", "end", "2027-04-15");
    json_t *merged = json_merge_patch(base, body);
    exercise(merged);
    json_decref(merged);
    json_decref(base);
    json_decref(body);
    return 0;
}
