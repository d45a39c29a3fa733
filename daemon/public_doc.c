/* public_doc.c - areas' names and vocabularies' labels for the open data. */
#include "public_doc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int add_cb(const char *buf, size_t size, void *data)
{
    outbuf *out = data;
    outbuf_add(out, buf, size);
    return out->failed ? -1 : 0;
}

/* A JSON string (RFC 8259 section 7), escaped by jansson. NULL: null. Text
 * that is not UTF-8, or no memory, marks out failed. */
static void put_string(outbuf *out, const char *s, size_t len)
{
    if (!s) {
        outbuf_adds(out, "null");
        return;
    }
    json_t *j = json_stringn(s, len);
    if (!j || json_dump_callback(j, add_cb, out, JSON_ENCODE_ANY) != 0)
        out->failed = true;
    json_decref(j);
}

static void put_cstring(outbuf *out, const char *s)
{
    put_string(out, s, s ? strlen(s) : 0);
}

/* The next code of a list (codes separated by PUBLIC_DOC_SEP): its start
 * and length; false at the end. *p moves past it. */
static bool next_code(const char **p, const char **code, size_t *len)
{
    if (!*p || !**p)
        return false;
    const char *end = strchr(*p, PUBLIC_DOC_SEP);
    *code = *p;
    *len = end ? (size_t)(end - *p) : strlen(*p);
    *p += *len + (end != NULL);
    return true;
}

static void put_place(outbuf *out, const char *code, size_t len, const area_register *r)
{
    area_code c;
    snprintf(c, sizeof c, "%.*s", (int)(len < 9 ? len : 9), code);
    const area_info *a = r && len == 9 ? areas_find(r, c) : NULL;
    const area_info *p = NULL;
    for (size_t i = 0; a && !p && i < a->nparents; i++)
        p = areas_find(r, a->parents[i]);
    outbuf_adds(out, "{\"code\":");
    put_string(out, code, len);
    outbuf_adds(out, ",\"name\":");
    if (a)
        put_cstring(out, a->name);
    else
        put_string(out, code, len);
    outbuf_adds(out, ",\"level\":");
    put_cstring(out, a ? a->level : NULL);
    outbuf_adds(out, ",\"parent\":");
    put_cstring(out, p ? p->name : NULL);
    outbuf_add(out, "}", 1);
}

static void put_labels(outbuf *out, const char *name, const char *list, const vocab *v, vocab_kind kind)
{
    outbuf_adds(out, name);
    outbuf_add(out, "[", 1);
    const char *code;
    size_t len;
    for (bool first = true; next_code(&list, &code, &len); first = false) {
        if (!first)
            outbuf_add(out, ",", 1);
        char buf[256];
        const vocab_term *t = NULL;
        if (v && len < sizeof buf) {
            memcpy(buf, code, len);
            buf[len] = '\0';
            t = vocab_by_code(v, kind, buf);
        }
        if (t)
            put_cstring(out, t->label);
        else
            put_string(out, code, len);
    }
    outbuf_add(out, "]", 1);
}

void public_doc_names(outbuf *out, const char *areas, const char *topics, const char *communities,
                      const char *methods, const area_register *r, const vocab *v)
{
    outbuf_adds(out, ",\"places\":[");
    const char *code;
    size_t len;
    for (bool first = true; next_code(&areas, &code, &len); first = false) {
        if (!first)
            outbuf_add(out, ",", 1);
        put_place(out, code, len, r);
    }
    outbuf_add(out, "]", 1);
    put_labels(out, ",\"topic_labels\":", topics, v, VOCAB_TOPICS);
    put_labels(out, ",\"community_labels\":", communities, v, VOCAB_COMMUNITIES);
    put_labels(out, ",\"method_labels\":", methods, v, VOCAB_METHODS);
}
