/* fmt_alert.h - alert events as people read them: Slack messages and
 * e-mail (pure).
 *
 * Input is the standard event body ({"type", "timestamp", "data"}) as the
 * dispatcher sends it to webhooks. Every function returns a malloc'd string
 * (the caller frees it) or NULL when memory runs out. Text taken from
 * consultations never reaches a mail header unfolded: line breaks and other
 * control characters become spaces, and non-ASCII subjects are RFC 2047
 * encoded. A digest (type "digest") is rendered by fmt_digest.h. */
#ifndef CONSULTD_FMT_ALERT_H
#define CONSULTD_FMT_ALERT_H

#include <jansson.h>
#include <time.h>

#include "areas.h"

typedef struct alert_context {
    const char *link_base;      /* prefixed to /v1/... links ("" for bare paths) */
    /* the name of an area code, or NULL when unknown */
    const char *(*area_name)(void *ctx, const char *code);
    void *ctx;
    /* the area register, borrowed for the call; NULL when not loaded */
    const area_register *areas;
} alert_context;

/* One line: "Overlap: <title> / <title> <where>", where is the overlap's
 * shared areas as its explanation summarises them (explain_place: "in Abbey
 * and Birchwood", "in 5 wards of Lincoln", "across Lincoln"; without a
 * register, one area by area_name), "Consultation fatigue: ...", ... */
char *alert_subject(const json_t *event, const alert_context *c);

/* The plain-text body: what, who, where, when, and links. */
char *alert_text(const json_t *event, const alert_context *c);

/* A Slack incoming-webhook body: {"text": ..., "blocks": [...]}. Within
 * Slack's limits (a header of 150 characters, a section of 3,000): longer
 * texts (a long title, a long digest) are cut on a character boundary and end
 * with "...". */
char *alert_slack_body(const json_t *event, const alert_context *c);

/* A whole RFC 5322 message (CRLF line ends) with the subject and the text. */
char *alert_email_message(const json_t *event, const alert_context *c, const char *from, const char *to,
                          time_t now, const char *message_id);

#endif
