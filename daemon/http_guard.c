/* http_guard.c - the connection guard: strict request framing in front of evhttp. */
#include "http_guard.h"

#include <errno.h>
#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SECRET_BYTES 16
#define REFUSED_HEADER "X-Consultd-Refused"
/* Chunk-size lines and CRLFs held with a chunked body, beyond its data. */
#define CHUNK_OVERHEAD_MAX (1024u * 1024u)

struct http_guard {
    hf_limits lim;
    char secret[SECRET_BYTES * 2 + 1];
    unsigned long failures;
};

typedef enum { G_HEAD, G_LENGTH, G_CHUNKED, G_REFUSED } guard_state;

/* One connection's place in its stream of requests (the filter's context). */
typedef struct {
    const http_guard *g;
    struct bufferevent *sock;  /* the socket's own bufferevent, under the filter */
    struct bufferevent *bev;   /* the filter evhttp uses */
    struct event_base *base;
    struct event *kick;        /* writes what evhttp queued while writing was disabled */
    struct event *writable;    /* the socket's write readiness, when one byte is left to write */
    guard_state state;
    size_t searched;    /* G_HEAD: bytes already searched for a line end */
    uint64_t left;      /* G_LENGTH: body bytes still to pass on */
    size_t head_len;    /* G_CHUNKED: the head, held with its body until the body ends */
    hf_chunked chunked; /* G_CHUNKED: the body read so far */
} conn_guard;

http_guard *http_guard_new(const hf_limits *lim)
{
    http_guard *g = calloc(1, sizeof *g);
    unsigned char raw[SECRET_BYTES];
    if (!g || RAND_bytes(raw, sizeof raw) != 1) {
        free(g);
        return NULL;
    }
    g->lim = *lim;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(g->secret + 2 * i, 3, "%02x", raw[i]);
    return g;
}

void http_guard_free(http_guard *g)
{
    free(g);
}

unsigned long http_guard_failures(const http_guard *g)
{
    return g->failures;
}

/* Drops what is left of the connection's input and passes on the stand-in
 * for the refused request in its place. */
static void refuse(conn_guard *c, struct evbuffer *src, struct evbuffer *dst, hf_reason why)
{
    evbuffer_drain(src, evbuffer_get_length(src));
    /* The answer has a body even to a HEAD: the connection closes after it, so
     * a client cannot take the body for the next response. */
    evbuffer_add_printf(dst,
                        "GET /refused HTTP/1.1\r\nHost: consultd\r\nConnection: close\r\n" REFUSED_HEADER
                        ": %s %d\r\n\r\n",
                        c->g->secret, (int)why);
    c->state = G_REFUSED;
}

/* G_HEAD: reads the next head. Returns 1 on progress, 0 when more bytes are needed. */
static int on_head(conn_guard *c, struct evbuffer *src, struct evbuffer *dst)
{
    const hf_limits *lim = &c->g->lim;
    size_t avail = evbuffer_get_length(src);
    if (avail < lim->max_head) {
        /* Parse only once a line has ended since last time. */
        struct evbuffer_ptr from;
        if (evbuffer_ptr_set(src, &from, c->searched, EVBUFFER_PTR_SET) < 0)
            return 0;
        struct evbuffer_ptr nl = evbuffer_search(src, "\n", 1, &from);
        if (nl.pos < 0) {
            /* A lone CR is a line end too (a bad one): look at it next time. */
            c->searched = avail > 0 ? avail - 1 : 0;
            return 0;
        }
    }
    size_t view = avail < lim->max_head + 64 ? avail : lim->max_head + 64;
    const char *buf = (const char *)evbuffer_pullup(src, (ev_ssize_t)view);
    if (!buf)
        return 0;
    hf_head h;
    hf_outcome o = hf_parse_head(buf, view, lim, &h);
    if (o == HF_REJECT) {
        refuse(c, src, dst, h.reason);
        return 1;
    }
    if (o == HF_NEED_MORE) {
        if (h.skip > 0) {
            evbuffer_drain(src, h.skip);
            c->searched = 0;
            return 1;
        }
        c->searched = view > 0 ? view - 1 : 0;
        return 0;
    }
    evbuffer_drain(src, h.skip);
    c->searched = 0;
    if (h.body == HF_BODY_CHUNKED) {
        c->state = G_CHUNKED;
        c->head_len = h.head_len;
        hf_chunked_init(&c->chunked);
        return 1;
    }
    evbuffer_remove_buffer(src, dst, h.head_len);
    if (h.body == HF_BODY_LENGTH) {
        c->state = G_LENGTH;
        c->left = h.length;
    }
    return 1;
}

/* G_CHUNKED: reads the body bytes that arrived since last time; passes on the
 * whole request (its trailer fields dropped) once the body has ended. */
static int on_chunked(conn_guard *c, struct evbuffer *src, struct evbuffer *dst)
{
    const hf_limits *lim = &c->g->lim;
    struct evbuffer_ptr at;
    if (evbuffer_ptr_set(src, &at, c->head_len + (size_t)c->chunked.pos, EVBUFFER_PTR_SET) < 0)
        return 0; /* nothing new */
    struct evbuffer_iovec vec[16];
    int n = evbuffer_peek(src, -1, &at, vec, 16);
    if (n > 16)
        n = 16;
    uint64_t before = c->chunked.pos;
    hf_outcome o = HF_NEED_MORE;
    hf_reason why = HF_OK;
    for (int i = 0; i < n && o == HF_NEED_MORE; i++) {
        size_t used;
        o = hf_chunked_feed(&c->chunked, vec[i].iov_base, vec[i].iov_len, lim, &used, &why);
        if (o == HF_NEED_MORE && c->chunked.pos > lim->max_body + CHUNK_OVERHEAD_MAX) {
            o = HF_REJECT;
            why = HF_BODY_TOO_LARGE;
        }
    }
    if (o == HF_REJECT) {
        refuse(c, src, dst, why);
        return 1;
    }
    if (o == HF_NEED_MORE)
        return c->chunked.pos > before; /* read on (and count it as activity) while bytes are new */
    /* The whole request is here: head and chunks as sent, then the empty
     * line that ends an empty trailer section. */
    evbuffer_remove_buffer(src, dst, c->head_len + (size_t)c->chunked.trailer_at);
    evbuffer_drain(src, (size_t)(c->chunked.pos - c->chunked.trailer_at));
    evbuffer_add(dst, "\r\n", 2);
    c->state = G_HEAD;
    return 1;
}

/* The input filter: underlying socket input (src) to evhttp's input (dst).
 * Returns BEV_OK only when it consumed bytes, so libevent's loop over it ends. */
static enum bufferevent_filter_result guard_input(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
                                                  enum bufferevent_flush_mode mode, void *arg)
{
    (void)limit;
    (void)mode;
    conn_guard *c = arg;
    int progress = 0;
    while (evbuffer_get_length(src) > 0) {
        int moved = 0;
        switch (c->state) {
        case G_REFUSED:
            evbuffer_drain(src, evbuffer_get_length(src));
            moved = 1;
            break;
        case G_LENGTH: {
            size_t n = evbuffer_get_length(src);
            if ((uint64_t)n > c->left)
                n = (size_t)c->left;
            evbuffer_remove_buffer(src, dst, n);
            c->left -= n;
            if (c->left == 0)
                c->state = G_HEAD;
            moved = 1;
            break;
        }
        case G_CHUNKED:
            moved = on_chunked(c, src, dst);
            break;
        case G_HEAD:
            moved = on_head(c, src, dst);
            break;
        }
        if (!moved)
            break;
        progress = 1;
    }
    return progress ? BEV_OK : BEV_NEED_MORE;
}

static void on_kick(evutil_socket_t fd, short what, void *arg);

/* The output filter: evhttp's answers (src) to the socket. It hands bytes to
 * the kernel itself and empties src only when the kernel has taken all of
 * them: evhttp frees a connection that is to close as soon as src is empty,
 * and what would still wait in the socket bufferevent's buffer would be lost.
 * When the kernel takes no more, a little goes through that buffer instead,
 * so that its write event calls this filter again once the socket drains. */
static enum bufferevent_filter_result guard_output(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
                                                   enum bufferevent_flush_mode mode, void *arg)
{
    (void)limit;
    (void)mode;
    conn_guard *c = arg;
    size_t len = evbuffer_get_length(src);
    if (len == 0 || evbuffer_get_length(dst) > 0)
        return BEV_NEED_MORE; /* the socket bufferevent's write event brings us back */
    evutil_socket_t fd = bufferevent_getfd(c->sock);
    int n = fd >= 0 ? evbuffer_write(src, fd) : -1;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        evbuffer_drain(src, len); /* the client is gone: evhttp learns it from the read side */
        return BEV_OK;
    }
    len = evbuffer_get_length(src);
    if (len > 1) {
        evbuffer_remove_buffer(src, dst, len - 1 < 4096 ? len - 1 : 4096);
    } else if (len == 1 && fd >= 0) {
        /* Keep the last byte here (so evhttp does not free the connection
         * yet) and come back when the socket can take it. */
        if (!c->writable)
            c->writable = event_new(c->base, fd, EV_WRITE, on_kick, c);
        if (!c->writable || event_add(c->writable, NULL) != 0)
            evbuffer_remove_buffer(src, dst, 1); /* out of memory: the last byte may be lost on close */
    }
    return n > 0 ? BEV_OK : BEV_NEED_MORE;
}

/* libevent 2.1's filter does not look at its output again when writing is
 * enabled, and evhttp queues an answer before it enables writing: so look
 * once the current callback is over. */
static void on_output_added(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    conn_guard *c = arg;
    if (info->n_added > 0)
        event_active(c->kick, EV_WRITE, 0);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_guard *c = arg;
    if (bufferevent_get_enabled(c->bev) & EV_WRITE)
        bufferevent_flush(c->bev, EV_WRITE, BEV_NORMAL);
}

static void conn_guard_free(void *arg)
{
    conn_guard *c = arg;
    if (c->kick)
        event_free(c->kick);
    if (c->writable)
        event_free(c->writable);
    free(c);
}

struct bufferevent *http_guard_bev(struct event_base *base, void *arg)
{
    http_guard *g = arg;
    conn_guard *c = calloc(1, sizeof *c);
    if (c) {
        c->g = g;
        c->state = G_HEAD;
        c->base = base;
        c->kick = event_new(base, -1, 0, on_kick, c);
        c->sock = c->kick ? bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE) : NULL;
        c->bev = c->sock ? bufferevent_filter_new(c->sock, guard_input, guard_output, BEV_OPT_CLOSE_ON_FREE,
                                                  conn_guard_free, c)
                         : NULL;
    }
    if (!c || !c->bev || !evbuffer_add_cb(bufferevent_get_output(c->bev), on_output_added, c)) {
        if (c && c->bev)
            bufferevent_free(c->bev); /* frees c and the socket bufferevent too */
        else if (c) {
            if (c->sock)
                bufferevent_free(c->sock);
            conn_guard_free(c);
        }
        if (g->failures++ % 100 == 0)
            log_warn("out of memory: a connection is served without the framing guard");
        return NULL;
    }
    return c->bev;
}

bool http_guard_refused(const http_guard *g, struct evhttp_request *req, hf_reason *reason)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), REFUSED_HEADER);
    size_t sl = sizeof g->secret - 1;
    if (!v || strlen(v) < sl + 2 || v[sl] != ' ' || CRYPTO_memcmp(v, g->secret, sl) != 0)
        return false;
    int r = atoi(v + sl + 1);
    *reason = r > 0 && r < HF_REASON_COUNT ? (hf_reason)r : HF_OK;
    return true;
}
