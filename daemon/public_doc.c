/* public_doc.c - areas' names and vocabularies' labels for the open data. */
#include "public_doc.h"

static json_t *place(const area_register *r, const char *code)
{
    const area_info *a = r ? areas_find(r, code) : NULL;
    const area_info *p = NULL;
    for (size_t i = 0; a && !p && i < a->nparents; i++)
        p = areas_find(r, a->parents[i]);
    return json_pack("{s:s, s:s, s:s?, s:s?}", "code", code, "name", a ? a->name : code, "level",
                     a ? a->level : NULL, "parent", p ? p->name : NULL);
}

static int labels(json_t *doc, const char *field, const char *out, const vocab *v, vocab_kind kind)
{
    const json_t *codes = json_object_get(doc, field);
    if (!json_is_array(codes))
        return 0;
    json_t *list = json_array();
    if (!list)
        return -1;
    size_t i;
    const json_t *c;
    json_array_foreach(codes, i, c) {
        const char *code = json_string_value(c);
        if (!code)
            continue;
        const vocab_term *t = v ? vocab_by_code(v, kind, code) : NULL;
        if (json_array_append_new(list, json_string(t ? t->label : code)) < 0) {
            json_decref(list);
            return -1;
        }
    }
    return json_object_set_new(doc, out, list);
}

int public_doc_add_names(json_t *doc, const area_register *areas, const vocab *v)
{
    const json_t *codes = json_object_get(doc, "areas");
    if (json_is_array(codes)) {
        json_t *places = json_array();
        if (!places)
            return -1;
        size_t i;
        const json_t *c;
        json_array_foreach(codes, i, c) {
            if (json_string_value(c) && json_array_append_new(places, place(areas, json_string_value(c))) < 0) {
                json_decref(places);
                return -1;
            }
        }
        if (json_object_set_new(doc, "places", places) < 0)
            return -1;
    }
    if (labels(doc, "topics", "topic_labels", v, VOCAB_TOPICS) < 0 ||
        labels(doc, "communities", "community_labels", v, VOCAB_COMMUNITIES) < 0 ||
        labels(doc, "methods", "method_labels", v, VOCAB_METHODS) < 0)
        return -1;
    return 0;
}
