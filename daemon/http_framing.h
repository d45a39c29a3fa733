/* http_framing.h - strict RFC 9112 framing checks on raw request bytes.
 *
 * Pure functions, no I/O: they read bytes a connection has received and say
 * where a request's head ends, how its body is framed, and whether anything
 * in it is ambiguous enough that two HTTP parsers could disagree on where the
 * request ends (request smuggling). The connection guard (http_guard.h) runs
 * them on every request of every connection before evhttp parses it, so that
 * evhttp only ever sees requests whose framing has exactly one reading.
 *
 * What is accepted is deliberately narrower than what RFC 9112 lets a
 * recipient tolerate: every line ends in CRLF, field names are tokens
 * followed directly by a colon, no obs-fold, at most one Host and one
 * Content-Length, Transfer-Encoding only as a single "chunked", chunk sizes
 * as plain hex digits without extensions. */
#ifndef CONSULTD_HTTP_FRAMING_H
#define CONSULTD_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t max_head;   /* request line + field lines + the empty line, in bytes (> 0) */
    size_t max_fields; /* field lines in a head (and in a chunked trailer) */
    uint64_t max_body; /* Content-Length, or the sum of chunk sizes, in bytes */
} hf_limits;

typedef enum { HF_NEED_MORE = 0, HF_ACCEPT, HF_REJECT } hf_outcome;

typedef enum { HF_BODY_NONE = 0, HF_BODY_LENGTH, HF_BODY_CHUNKED } hf_body;

/* Why a request was refused. Each has a fixed answer: hf_reason_problem. */
typedef enum {
    HF_OK = 0,
    HF_LINE_ENDING,       /* a bare CR or LF: lines end in CRLF (RFC 9112 §2.2) */
    HF_BAD_REQUEST_LINE,  /* not method SP request-target SP HTTP-version (§3) */
    HF_HTTP09,            /* a request line without a version: HTTP/0.9 (§2.3) */
    HF_VERSION,           /* a version other than HTTP/1.0 or HTTP/1.1: 505 (RFC 9110 §15.6.6) */
    HF_METHOD,            /* a method this server does not implement: 501 (RFC 9110 §9.1) */
    HF_TARGET,            /* request-target not origin-, absolute- or asterisk-form (§3.2) */
    HF_LINE_TOO_LONG,     /* the request line alone exceeds the head limit: 414 (RFC 9110 §15.5.15) */
    HF_HEAD_TOO_LARGE,    /* the field section exceeds the head limit: 431 (RFC 6585 §5) */
    HF_TOO_MANY_FIELDS,   /* more field lines than the limit: 431 (RFC 6585 §5) */
    HF_FIELD_SYNTAX,      /* a field line that is not token ":" OWS value OWS (§5) */
    HF_FIELD_NAME_SPACE,  /* whitespace between a field name and its colon (§5.1) */
    HF_OBS_FOLD,          /* a field line continued on the next (obs-fold, §5.2) */
    HF_HOST_MISSING,      /* an HTTP/1.1 request without Host (§3.2) */
    HF_HOST_REPEATED,     /* more than one Host field line (§3.2) */
    HF_HOST_INVALID,      /* a Host value that is not uri-host [ ":" port ] (§3.2) */
    HF_LENGTH_REPEATED,   /* more than one Content-Length field line (§6.3) */
    HF_LENGTH_INVALID,    /* a Content-Length that is not 1*DIGIT (§6.3) */
    HF_LENGTH_TOO_LARGE,  /* Content-Length above max_body: 413 */
    HF_LENGTH_AND_CODING, /* both Content-Length and Transfer-Encoding (§6.1) */
    HF_CODING_HTTP10,     /* Transfer-Encoding in an HTTP/1.0 request (§6.1) */
    HF_CODING_NOT_CHUNKED,/* Transfer-Encoding whose final coding is not a single chunked (§6.3) */
    HF_CODING_UNKNOWN,    /* a transfer coding other than chunked: 501 (§6.1) */
    HF_BODY_NOT_ALLOWED,  /* a body on GET, HEAD, DELETE or OPTIONS (evhttp would not read it) */
    HF_EXPECTATION,       /* an Expect other than 100-continue: 417 (RFC 9110 §10.1.1) */
    HF_CHUNK_SIZE,        /* a chunk-size that is not 1..16 hex digits and CRLF (§7.1) */
    HF_CHUNK_EXTENSION,   /* a chunk extension, which this server does not accept (§7.1.1) */
    HF_CHUNK_DATA_END,    /* chunk data not followed by CRLF (§7.1) */
    HF_BODY_TOO_LARGE,    /* chunk sizes adding up to more than max_body: 413 */
    HF_TRAILER,           /* a malformed or oversized trailer section (§7.1.2) */
    HF_REASON_COUNT
} hf_reason;

/* The answer for a reason: HTTP status, problem type slug, title, detail
 * (all static strings). Never NULL: an out-of-range reason gets 400. */
typedef struct {
    int status;
    const char *slug;
    const char *title;
    const char *detail;
} hf_problem;
const hf_problem *hf_reason_problem(hf_reason r);

/* What hf_parse_head found. */
typedef struct {
    hf_reason reason;  /* HF_OK unless the outcome is HF_REJECT */
    size_t skip;       /* empty lines (CRLF pairs) before the request line, to drop (§2.2) */
    size_t head_len;   /* on accept: bytes from buf + skip to the end of the empty line */
    hf_body body;
    uint64_t length;   /* HF_BODY_LENGTH: Content-Length */
    bool http10;       /* the version is HTTP/1.0 */
} hf_head;

/* Reads a request head from the start of buf (len bytes; not NUL-terminated,
 * may hold more than one request). Looks at no more than skip +
 * lim->max_head + 1 bytes.
 * Returns HF_ACCEPT with out filled when a complete, unambiguous head is
 * there; HF_REJECT with out->reason as soon as a complete line (or the
 * amount of bytes) proves the request bad; HF_NEED_MORE otherwise (out->skip
 * may then already count leading empty lines the caller may drop). */
hf_outcome hf_parse_head(const char *buf, size_t len, const hf_limits *lim, hf_head *out);

/* Incremental reader of a chunked body (RFC 9112 §7.1), trailer included.
 * Zero it (or hf_chunked_init) before the first byte. */
typedef struct {
    int state;
    int digits;          /* hex digits read of the current chunk-size */
    uint64_t size;       /* the current chunk-size */
    uint64_t remaining;  /* chunk data still to come */
    uint64_t total;      /* chunk data so far */
    uint64_t pos;        /* bytes consumed since the body began */
    uint64_t trailer_at; /* where the trailer section begins (after the last chunk's CRLF) */
    size_t trailer_bytes;
    size_t trailer_fields;
} hf_chunked;

void hf_chunked_init(hf_chunked *c);

/* Feeds the next n bytes of a chunked body. Sets *used to the bytes of p
 * consumed: all n on HF_NEED_MORE; up to and including the final CRLF on
 * HF_ACCEPT (what follows belongs to the next request; c->pos is then the
 * body's length and c->trailer_at where its trailer section begins); on
 * HF_REJECT *why says what was wrong. Trailer fields are checked for syntax
 * and bounded by lim->max_head and lim->max_fields. */
hf_outcome hf_chunked_feed(hf_chunked *c, const char *p, size_t n, const hf_limits *lim, size_t *used,
                           hf_reason *why);

#endif
