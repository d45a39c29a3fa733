/* http_framing.c - strict RFC 9112 framing checks on raw request bytes. */
#include "http_framing.h"

#include <string.h>
#include <strings.h>

static const hf_problem problems[HF_REASON_COUNT] = {
    [HF_OK] = { 400, "bad-request", "Bad request", "The request is malformed." },
    [HF_LINE_ENDING] = { 400, "bad-framing", "Malformed request framing",
                         "A line ends in a bare CR or LF; every line must end in CRLF (RFC 9112 section 2.2)." },
    [HF_BAD_REQUEST_LINE] = { 400, "bad-request-line", "Malformed request line",
                              "The request line must be method SP request-target SP HTTP-version (RFC 9112 section 3)." },
    [HF_HTTP09] = { 400, "bad-request-line", "Malformed request line",
                    "The request line has no HTTP version: HTTP/0.9 is not served." },
    [HF_VERSION] = { 505, "http-version-not-supported", "HTTP version not supported",
                     "Only HTTP/1.0 and HTTP/1.1 are served." },
    [HF_METHOD] = { 501, "not-implemented", "Method not implemented",
                    "Methods served: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS." },
    [HF_TARGET] = { 400, "bad-request-target", "Malformed request target",
                    "The request target must be an absolute path (or an absolute http URI) of visible ASCII "
                    "characters (RFC 9112 section 3.2)." },
    [HF_LINE_TOO_LONG] = { 414, "uri-too-long", "URI too long", "The request line is longer than the header limit." },
    [HF_HEAD_TOO_LARGE] = { 431, "header-fields-too-large", "Request header fields too large",
                            "The request head is larger than the header limit." },
    [HF_TOO_MANY_FIELDS] = { 431, "header-fields-too-large", "Request header fields too large",
                             "The request has more header fields than the limit." },
    [HF_FIELD_SYNTAX] = { 400, "bad-header", "Malformed header field",
                          "A header field line is not name \":\" value, or holds a control character "
                          "(RFC 9112 section 5)." },
    [HF_FIELD_NAME_SPACE] = { 400, "bad-header", "Malformed header field",
                              "Whitespace between a header field name and its colon is not allowed "
                              "(RFC 9112 section 5.1)." },
    [HF_OBS_FOLD] = { 400, "bad-header", "Malformed header field",
                      "A header field is folded over several lines (obs-fold, RFC 9112 section 5.2)." },
    [HF_HOST_MISSING] = { 400, "bad-host", "Bad Host header",
                          "An HTTP/1.1 request must have a Host header field (RFC 9112 section 3.2)." },
    [HF_HOST_REPEATED] = { 400, "bad-host", "Bad Host header",
                           "The request has more than one Host header field (RFC 9112 section 3.2)." },
    [HF_HOST_INVALID] = { 400, "bad-host", "Bad Host header",
                          "The Host header field is not a host name with an optional port (RFC 9112 section 3.2)." },
    [HF_LENGTH_REPEATED] = { 400, "bad-framing", "Malformed request framing",
                             "The request has more than one Content-Length header field (RFC 9112 section 6.3)." },
    [HF_LENGTH_INVALID] = { 400, "bad-framing", "Malformed request framing",
                            "Content-Length must be a non-negative decimal number (RFC 9112 section 6.3)." },
    [HF_LENGTH_TOO_LARGE] = { 413, "too-large", "Payload too large",
                              "Content-Length is larger than the largest body this server accepts." },
    [HF_LENGTH_AND_CODING] = { 400, "bad-framing", "Malformed request framing",
                               "Content-Length and Transfer-Encoding must not both be sent (RFC 9112 section 6.1)." },
    [HF_CODING_HTTP10] = { 400, "bad-framing", "Malformed request framing",
                           "Transfer-Encoding is not allowed in an HTTP/1.0 request (RFC 9112 section 6.1)." },
    [HF_CODING_NOT_CHUNKED] = { 400, "bad-framing", "Malformed request framing",
                                "Transfer-Encoding must end in chunked, applied once (RFC 9112 section 6.3)." },
    [HF_CODING_UNKNOWN] = { 501, "not-implemented", "Transfer coding not implemented",
                            "The only transfer coding served is chunked (RFC 9112 section 6.1)." },
    [HF_BODY_NOT_ALLOWED] = { 400, "bad-framing", "Malformed request framing",
                              "GET, HEAD, DELETE and OPTIONS requests must not have a body." },
    [HF_EXPECTATION] = { 417, "expectation-failed", "Expectation failed",
                         "The only expectation served is 100-continue (RFC 9110 section 10.1.1)." },
    [HF_CHUNK_SIZE] = { 400, "bad-framing", "Malformed request framing",
                        "A chunk size must be 1 to 16 hexadecimal digits followed by CRLF (RFC 9112 section 7.1)." },
    [HF_CHUNK_EXTENSION] = { 400, "bad-framing", "Malformed request framing",
                             "Chunk extensions are not accepted (RFC 9112 section 7.1.1)." },
    [HF_CHUNK_DATA_END] = { 400, "bad-framing", "Malformed request framing",
                            "Chunk data must be followed by CRLF (RFC 9112 section 7.1)." },
    [HF_BODY_TOO_LARGE] = { 413, "too-large", "Payload too large",
                            "The chunked body is larger than the largest body this server accepts." },
    [HF_TRAILER] = { 400, "bad-framing", "Malformed request framing",
                     "The chunked trailer section is malformed or too large (RFC 9112 section 7.1.2)." },
};

const hf_problem *hf_reason_problem(hf_reason r)
{
    if ((int)r <= 0 || r >= HF_REASON_COUNT)
        return &problems[HF_OK];
    return &problems[r];
}

/* tchar (RFC 9110 §5.6.2). */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / SP / HTAB (RFC 9110 §5.5), obs-text included. */
static bool is_value_octet(unsigned char c)
{
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static bool is_hex(unsigned char c, unsigned *v)
{
    if (c >= '0' && c <= '9')
        *v = c - '0';
    else if (c >= 'a' && c <= 'f')
        *v = c - 'a' + 10u;
    else if (c >= 'A' && c <= 'F')
        *v = c - 'A' + 10u;
    else
        return false;
    return true;
}

/* Finds the CRLF ending the line at buf[from]. Returns its offset, or -1 when
 * the line is not complete within len; sets *bad on a bare CR or LF. */
static long line_end(const char *buf, size_t from, size_t len, bool *bad)
{
    *bad = false;
    for (size_t i = from; i < len; i++) {
        if (buf[i] == '\n') {
            *bad = true;
            return (long)i;
        }
        if (buf[i] == '\r') {
            if (i + 1 >= len)
                return -1;
            if (buf[i + 1] != '\n')
                *bad = true;
            return (long)i;
        }
    }
    return -1;
}

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
static hf_reason check_request_line(const char *l, size_t n, hf_head *out, bool *may_have_body)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)l[i]))
        i++;
    size_t mlen = i;
    if (mlen == 0 || i >= n || l[i] != ' ')
        return HF_BAD_REQUEST_LINE;
    size_t t0 = ++i;
    while (i < n && l[i] != ' ')
        i++;
    size_t tlen = i - t0;
    if (tlen == 0)
        return HF_BAD_REQUEST_LINE;
    if (i == n)
        return HF_HTTP09;
    const char *ver = l + i + 1;
    size_t vlen = n - i - 1;
    /* HTTP-version = "HTTP" "/" DIGIT "." DIGIT; anything after it is malformed. */
    if (vlen != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[5] < '0' || ver[5] > '9' || ver[6] != '.' ||
        ver[7] < '0' || ver[7] > '9')
        return HF_BAD_REQUEST_LINE;
    if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1'))
        return HF_VERSION;
    out->http10 = ver[7] == '0';

    const char *m = NULL;
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++)
        if (strlen(methods[k]) == mlen && memcmp(methods[k], l, mlen) == 0)
            m = methods[k];
    if (!m)
        return HF_METHOD;
    /* evhttp reads a body only for these; for the others a body would be
     * taken as the next request, so none is accepted. */
    *may_have_body = strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;

    const char *t = l + t0;
    for (size_t k = 0; k < tlen; k++)
        if ((unsigned char)t[k] < 0x21 || (unsigned char)t[k] > 0x7e)
            return HF_TARGET;
    bool origin = t[0] == '/';
    bool asterisk = tlen == 1 && t[0] == '*' && strcmp(m, "OPTIONS") == 0;
    bool absolute = (tlen > 7 && strncasecmp(t, "http://", 7) == 0) ||
                    (tlen > 8 && strncasecmp(t, "https://", 8) == 0);
    if (!origin && !asterisk && !absolute)
        return HF_TARGET;
    return HF_OK;
}

/* Host = uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2): checked as
 * its character set, with brackets only around an IP literal. */
static bool host_valid(const char *v, size_t n)
{
    size_t i = 0;
    if (n > 0 && v[0] == '[') {
        while (i < n && v[i] != ']')
            i++;
        if (i == n)
            return false;
        for (size_t k = 1; k < i; k++)
            if (!strchr("0123456789abcdefABCDEF:.vV", v[k]) || v[k] == '\0')
                return false;
        i++;
    } else {
        for (; i < n && v[i] != ':'; i++) {
            unsigned char c = (unsigned char)v[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      (c != '\0' && strchr("-._~!$&'()*+,;=%", c));
            if (!ok)
                return false;
        }
    }
    if (i == n)
        return true;
    if (v[i] != ':')
        return false;
    for (i++; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* Trims OWS (SP / HTAB) from both ends of [*v, *v + *n). */
static void trim_ows(const char **v, size_t *n)
{
    while (*n > 0 && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*n)--;
    }
    while (*n > 0 && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
        (*n)--;
}

static bool name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* What the framing-relevant fields said, across the whole head. */
typedef struct {
    int hosts, lengths, codings, expects;
    bool host_bad, length_bad, coding_empty, coding_chunked_early, coding_unknown, coding_last_chunked,
        expect_bad, tab_in_host, tab_in_length, tab_in_coding;
    uint64_t length;
} seen_fields;

/* Transfer-Encoding = #transfer-coding (RFC 9112 §6.1); the list runs on
 * across repeated field lines. */
static void note_codings(seen_fields *s, const char *v, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t a = i;
        while (i < n && v[i] != ',')
            i++;
        const char *e = v + a;
        size_t en = i - a;
        trim_ows(&e, &en);
        if (en == 0) {
            s->coding_empty = true;
        } else {
            if (s->coding_last_chunked)
                s->coding_chunked_early = true;
            s->coding_last_chunked = name_is(e, en, "chunked");
            if (!s->coding_last_chunked)
                s->coding_unknown = true;
        }
        if (i >= n)
            break;
        i++;
    }
}

static void note_field(seen_fields *s, const char *name, size_t nn, const char *v, size_t vn)
{
    /* evhttp trims only spaces around these values: a tab would be read differently. */
    bool tab = memchr(v, '\t', vn) != NULL;
    trim_ows(&v, &vn);
    if (name_is(name, nn, "Host")) {
        s->hosts++;
        s->tab_in_host |= tab;
        if (!host_valid(v, vn))
            s->host_bad = true;
    } else if (name_is(name, nn, "Content-Length")) {
        s->lengths++;
        s->tab_in_length |= tab;
        uint64_t x = 0;
        if (vn == 0 || vn > 19)
            s->length_bad = true;
        for (size_t i = 0; i < vn && !s->length_bad; i++) {
            if (v[i] < '0' || v[i] > '9')
                s->length_bad = true;
            else
                x = x * 10u + (uint64_t)(v[i] - '0');
        }
        s->length = x;
    } else if (name_is(name, nn, "Transfer-Encoding")) {
        s->codings++;
        s->tab_in_coding |= tab;
        note_codings(s, v, vn);
    } else if (name_is(name, nn, "Expect")) {
        s->expects++;
        if (!name_is(v, vn, "100-continue"))
            s->expect_bad = true;
    }
}

/* Checks one field line (without its CRLF). */
static hf_reason check_field_line(const char *l, size_t n, seen_fields *s)
{
    if (n > 0 && (l[0] == ' ' || l[0] == '\t'))
        return HF_OBS_FOLD;
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)l[i]))
        i++;
    size_t nn = i;
    if (i < n && (l[i] == ' ' || l[i] == '\t')) {
        size_t j = i;
        while (j < n && (l[j] == ' ' || l[j] == '\t'))
            j++;
        if (nn > 0 && j < n && l[j] == ':')
            return HF_FIELD_NAME_SPACE;
        return HF_FIELD_SYNTAX;
    }
    if (nn == 0 || i >= n || l[i] != ':')
        return HF_FIELD_SYNTAX;
    for (size_t k = i + 1; k < n; k++)
        if (!is_value_octet((unsigned char)l[k]))
            return HF_FIELD_SYNTAX;
    note_field(s, l, nn, l + i + 1, n - i - 1);
    return HF_OK;
}

static hf_outcome reject(hf_head *out, hf_reason r)
{
    out->reason = r;
    return HF_REJECT;
}

hf_outcome hf_parse_head(const char *buf, size_t len, const hf_limits *lim, hf_head *out)
{
    memset(out, 0, sizeof *out);
    size_t skip = 0;
    while (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n')
        skip += 2;
    out->skip = skip;
    if (skip == len || (skip + 1 == len && buf[skip] == '\r'))
        return HF_NEED_MORE;
    const char *h = buf + skip;
    size_t hlen = len - skip;
    size_t view = hlen > lim->max_head ? lim->max_head : hlen; /* bytes we may look at */

    bool bad, may_have_body = false;
    long eol = line_end(h, 0, view, &bad);
    if (eol < 0)
        return hlen >= lim->max_head ? reject(out, HF_LINE_TOO_LONG) : HF_NEED_MORE;
    if (bad)
        return reject(out, HF_LINE_ENDING);
    hf_reason r = check_request_line(h, (size_t)eol, out, &may_have_body);
    if (r != HF_OK)
        return reject(out, r);

    seen_fields s;
    memset(&s, 0, sizeof s);
    size_t at = (size_t)eol + 2, fields = 0;
    for (;;) {
        eol = line_end(h, at, view, &bad);
        if (eol < 0)
            return hlen >= lim->max_head ? reject(out, HF_HEAD_TOO_LARGE) : HF_NEED_MORE;
        if (bad)
            return reject(out, HF_LINE_ENDING);
        if ((size_t)eol == at)
            break; /* the empty line */
        if (++fields > lim->max_fields)
            return reject(out, HF_TOO_MANY_FIELDS);
        r = check_field_line(h + at, (size_t)eol - at, &s);
        if (r != HF_OK)
            return reject(out, r);
        at = (size_t)eol + 2;
    }
    out->head_len = (size_t)eol + 2;

    /* The whole head is here: the checks that need all of it. */
    if (s.hosts > 1)
        return reject(out, HF_HOST_REPEATED);
    if (s.hosts == 0 && !out->http10)
        return reject(out, HF_HOST_MISSING);
    if (s.host_bad || s.tab_in_host)
        return reject(out, HF_HOST_INVALID);
    if (s.lengths > 1)
        return reject(out, HF_LENGTH_REPEATED);
    if (s.codings) {
        if (out->http10)
            return reject(out, HF_CODING_HTTP10);
        if (s.lengths)
            return reject(out, HF_LENGTH_AND_CODING);
        if (s.coding_empty || s.coding_chunked_early || !s.coding_last_chunked || s.tab_in_coding)
            return reject(out, HF_CODING_NOT_CHUNKED);
        if (s.coding_unknown)
            return reject(out, HF_CODING_UNKNOWN);
        if (!may_have_body)
            return reject(out, HF_BODY_NOT_ALLOWED);
        out->body = HF_BODY_CHUNKED;
    } else if (s.lengths) {
        if (s.length_bad || s.tab_in_length)
            return reject(out, HF_LENGTH_INVALID);
        if (s.length > lim->max_body)
            return reject(out, HF_LENGTH_TOO_LARGE);
        if (s.length > 0 && !may_have_body)
            return reject(out, HF_BODY_NOT_ALLOWED);
        out->body = s.length > 0 ? HF_BODY_LENGTH : HF_BODY_NONE;
        out->length = s.length;
    }
    if (!out->http10 && (s.expects > 1 || s.expect_bad))
        return reject(out, HF_EXPECTATION);
    return HF_ACCEPT;
}

/* hf_chunked states */
enum {
    CK_SIZE = 0,  /* reading chunk-size digits */
    CK_SIZE_LF,   /* after the CR ending a chunk-size line */
    CK_DATA,
    CK_DATA_CR,
    CK_DATA_LF,
    CK_TR_START,  /* at the start of a trailer line (or the final empty line) */
    CK_TR_NAME,
    CK_TR_VALUE,
    CK_TR_LF,     /* after the CR ending a trailer field line */
    CK_END_LF,    /* after the CR of the final empty line */
};

void hf_chunked_init(hf_chunked *c)
{
    memset(c, 0, sizeof *c);
}

hf_outcome hf_chunked_feed(hf_chunked *c, const char *p, size_t n, const hf_limits *lim, size_t *used,
                           hf_reason *why)
{
    size_t i = 0;
    *why = HF_OK;
#define BAD(r) do { *why = (r); *used = i; c->pos += i; return HF_REJECT; } while (0)
    while (i < n) {
        unsigned char ch = (unsigned char)p[i];
        unsigned v;
        if (c->state >= CK_TR_START && ++c->trailer_bytes > lim->max_head)
            BAD(HF_TRAILER);
        switch (c->state) {
        case CK_SIZE:
            if (is_hex(ch, &v)) {
                if (++c->digits > 16)
                    BAD(HF_CHUNK_SIZE);
                c->size = c->size * 16u + v;
                if (c->size > lim->max_body || c->total + c->size > lim->max_body)
                    BAD(HF_BODY_TOO_LARGE);
            } else if (ch == '\r' && c->digits > 0) {
                c->state = CK_SIZE_LF;
            } else if (c->digits > 0 && (ch == ';' || ch == ' ' || ch == '\t')) {
                BAD(HF_CHUNK_EXTENSION);
            } else {
                BAD(ch == '\n' ? HF_LINE_ENDING : HF_CHUNK_SIZE);
            }
            i++;
            break;
        case CK_SIZE_LF:
            if (ch != '\n')
                BAD(HF_LINE_ENDING);
            i++;
            if (c->size == 0) {
                c->state = CK_TR_START;
                c->trailer_at = c->pos + i;
            } else {
                c->remaining = c->size;
                c->total += c->size;
                c->state = CK_DATA;
            }
            c->size = 0;
            c->digits = 0;
            break;
        case CK_DATA: {
            size_t take = n - i;
            if ((uint64_t)take > c->remaining)
                take = (size_t)c->remaining;
            i += take;
            c->remaining -= take;
            if (c->remaining == 0)
                c->state = CK_DATA_CR;
            break;
        }
        case CK_DATA_CR:
            if (ch != '\r')
                BAD(HF_CHUNK_DATA_END);
            c->state = CK_DATA_LF;
            i++;
            break;
        case CK_DATA_LF:
            if (ch != '\n')
                BAD(HF_CHUNK_DATA_END);
            c->state = CK_SIZE;
            i++;
            break;
        case CK_TR_START:
            if (ch == '\r') {
                c->state = CK_END_LF;
            } else if (is_tchar(ch)) {
                if (++c->trailer_fields > lim->max_fields)
                    BAD(HF_TRAILER);
                c->state = CK_TR_NAME;
            } else {
                BAD(ch == '\n' ? HF_LINE_ENDING : HF_TRAILER);
            }
            i++;
            break;
        case CK_TR_NAME:
            if (ch == ':')
                c->state = CK_TR_VALUE;
            else if (!is_tchar(ch))
                BAD(HF_TRAILER);
            i++;
            break;
        case CK_TR_VALUE:
            if (ch == '\r')
                c->state = CK_TR_LF;
            else if (!is_value_octet(ch))
                BAD(ch == '\n' ? HF_LINE_ENDING : HF_TRAILER);
            i++;
            break;
        case CK_TR_LF:
        case CK_END_LF:
            if (ch != '\n')
                BAD(HF_LINE_ENDING);
            i++;
            if (c->state == CK_END_LF) {
                *used = i;
                c->pos += i;
                return HF_ACCEPT;
            }
            c->state = CK_TR_START;
            break;
        default:
            BAD(HF_CHUNK_SIZE);
        }
    }
#undef BAD
    *used = i;
    c->pos += i;
    return HF_NEED_MORE;
}
