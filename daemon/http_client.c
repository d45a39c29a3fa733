/* http_client.c - libcurl multi on libevent (the multi_socket pattern). */
#include "http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "delivery_policy.h"
#include "log.h"
#include "net_guard.h"

typedef struct transfer transfer;
typedef struct sockwatch sockwatch;

struct transfer {
    http_client *client;
    CURL *easy;
    struct curl_slist *headers;   /* HTTP headers, or the mail recipients */
    char *body;
    size_t len, sent;
    bool mail;
    bool check_private;
    long retry_after;
    char refused[96];             /* the address refused, when one was */
    char errbuf[CURL_ERROR_SIZE];
    struct timespec started;
    http_done_cb cb;
    void *arg;
    transfer *prev, *next;
};

struct sockwatch {
    struct event *ev;
    http_client *client;
    sockwatch *prev, *next;
};

struct http_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int timeout_s;
    bool allow_private;
    int active;
    transfer *transfers;
    sockwatch *watches;
};

static void check_done(http_client *c);

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    sockwatch *w = arg;
    http_client *c = w->client;
    int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_client *c = arg;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static void watch_free(http_client *c, sockwatch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        c->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    event_free(w->ev);
    free(w);
}

/* CURLMOPT_SOCKETFUNCTION: curl says which socket to watch for what. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    http_client *c = userp;
    sockwatch *w = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (w)
            watch_free(c, w);
        curl_multi_assign(c->multi, s, NULL);
        return 0;
    }
    short events = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            return -1;
        w->client = c;
        w->next = c->watches;
        if (w->next)
            w->next->prev = w;
        c->watches = w;
        curl_multi_assign(c->multi, s, w);
    } else {
        event_free(w->ev);
    }
    w->ev = event_new(c->base, s, events, on_socket_event, w);
    if (!w->ev || event_add(w->ev, NULL) != 0)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after timeout_ms. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    http_client *c = userp;
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
        return 0;
    }
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return evtimer_add(c->timer, &tv);
}

/* CURLOPT_OPENSOCKETFUNCTION: the address curl is about to connect to. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)purpose;
    transfer *t = clientp;
    if (t->check_private && !net_addr_public(&a->addr)) {
        char text[64];
        net_addr_text(&a->addr, text, sizeof text);
        snprintf(t->refused, sizeof t->refused, "%s", text);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name && strncasecmp(buf, name, sizeof name - 1) == 0) {
        char value[128];
        size_t vl = len - (sizeof name - 1);
        if (vl >= sizeof value)
            vl = sizeof value - 1;
        memcpy(value, buf + sizeof name - 1, vl);
        value[vl] = '\0';
        char *e = value + strlen(value);
        while (e > value && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            *--e = '\0';
        t->retry_after = retry_after_parse(value, time(NULL));
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
    (void)buf;
    (void)arg;
    return size * n; /* the answer's body is not kept */
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t room = size * n, left = t->len - t->sent;
    size_t k = left < room ? left : room;
    memcpy(buf, t->body + t->sent, k);
    t->sent += k;
    return k;
}

static void transfer_free(transfer *t)
{
    http_client *c = t->client;
    if (t->prev)
        t->prev->next = t->next;
    else
        c->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    curl_multi_remove_handle(c->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t);
    c->active--;
}

static void check_done(http_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        transfer *t = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode rc = m->data.result;
        long code = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        http_result r = { 0, t->retry_after, NULL,
                          (now.tv_sec - t->started.tv_sec) * 1000 + (now.tv_nsec - t->started.tv_nsec) / 1000000 };
        char why[CURL_ERROR_SIZE + 128];
        if (rc == CURLE_OK) {
            r.status = (int)code;
            if (t->mail)
                r.status = 250; /* accepted for delivery */
            else if (code >= 300 && code < 400) {
                char *loc = NULL;
                curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc);
                snprintf(why, sizeof why, "redirect (%ld) to %s not followed", code, loc ? loc : "(no Location)");
                r.error = why;
            }
        } else if (t->refused[0]) {
            snprintf(why, sizeof why, "refused to connect to %s: not a public address "
                                      "(alerts.allow_private_targets is off)", t->refused);
            r.error = why;
        } else {
            snprintf(why, sizeof why, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
            r.error = why;
            if (t->mail && code >= 400)
                r.status = (int)code;
        }
        http_done_cb cb = t->cb;
        void *arg = t->arg;
        transfer_free(t);
        cb(&r, arg);
    }
}

http_client *http_client_new(struct event_base *base)
{
    http_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = base;
    c->timeout_s = 15;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, on_timer, c);
    if (!c->multi || !c->timer) {
        http_client_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

void http_client_free(http_client *c)
{
    if (!c)
        return;
    while (c->transfers)
        transfer_free(c->transfers);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    while (c->watches)
        watch_free(c, c->watches);
    if (c->timer)
        event_free(c->timer);
    free(c);
}

void http_client_configure(http_client *c, int timeout_s, bool allow_private)
{
    c->timeout_s = timeout_s;
    c->allow_private = allow_private;
}

int http_client_active(const http_client *c)
{
    return c->active;
}

/* A transfer with the settings every alert shares; NULL when out of memory. */
static transfer *transfer_new(http_client *c, const char *url, const char *body, http_done_cb cb, void *arg)
{
    transfer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->client = c;
    t->retry_after = -1;
    t->cb = cb;
    t->arg = arg;
    t->len = strlen(body);
    t->body = strdup(body);
    t->easy = curl_easy_init();
    if (!t->body || !t->easy) {
        curl_easy_cleanup(t->easy);
        free(t->body);
        free(t);
        return NULL;
    }
    CURL *e = t->easy;
    long ms = (long)c->timeout_s * 1000;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ? ms : 10000L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "consultd/" CONSULTD_VERSION);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    clock_gettime(CLOCK_MONOTONIC, &t->started);
    return t;
}

static int transfer_start(transfer *t)
{
    http_client *c = t->client;
    t->next = c->transfers;
    if (t->next)
        t->next->prev = t;
    c->transfers = t;
    c->active++;
    if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK) {
        t->cb = NULL;
        transfer_free(t);
        return -1;
    }
    return 0;
}

int http_client_post(http_client *c, const char *url, const char *const *headers, const char *body,
                     http_done_cb cb, void *arg)
{
    transfer *t = transfer_new(c, url, body, cb, arg);
    if (!t)
        return -1;
    t->check_private = !c->allow_private;
    for (; headers && *headers; headers++) {
        struct curl_slist *l = curl_slist_append(t->headers, *headers);
        if (!l) {
            curl_slist_free_all(t->headers);
            curl_easy_cleanup(t->easy);
            free(t->body);
            free(t);
            return -1;
        }
        t->headers = l;
    }
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)t->len);
    return transfer_start(t);
}

int http_client_mail(http_client *c, const char *smtp_url, const char *from, const char *to, const char *message,
                     http_done_cb cb, void *arg)
{
    transfer *t = transfer_new(c, smtp_url, message, cb, arg);
    if (!t)
        return -1;
    t->mail = true;
    char addr[512];
    snprintf(addr, sizeof addr, "<%s>", to);
    t->headers = curl_slist_append(NULL, addr);
    if (!t->headers) {
        curl_easy_cleanup(t->easy);
        free(t->body);
        free(t);
        return -1;
    }
    snprintf(addr, sizeof addr, "<%s>", from);
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->headers);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, t);
    curl_easy_setopt(e, CURLOPT_INFILESIZE, (long)t->len);
    return transfer_start(t);
}
