/* http_client.h - outgoing HTTP POSTs and SMTP mail through libcurl's multi
 * interface, driven by the daemon's libevent loop (never blocking it).
 *
 * Every transfer has a total time limit, follows no redirect, speaks only
 * http/https (or smtp/smtps for mail), ignores proxy variables, and (unless
 * private targets are allowed) refuses to open a socket to any address that is
 * not public unicast: the check is made on each address curl is about to
 * connect, after name resolution, so a host name that resolves to 127.0.0.1 is
 * refused too. */
#ifndef CONSULTD_HTTP_CLIENT_H
#define CONSULTD_HTTP_CLIENT_H

#include <event2/event.h>
#include <stdbool.h>

typedef struct http_client http_client;

typedef struct http_result {
    int status;                 /* HTTP status; 0 when there was no HTTP answer (mail: 250 on success) */
    long retry_after_s;         /* from Retry-After, -1 when absent */
    const char *error;          /* NULL on an answer; otherwise what went wrong, for people */
    long duration_ms;
} http_result;

/* Called once per transfer, from the event loop. */
typedef void (*http_done_cb)(const http_result *r, void *arg);

/* A client driven by base; NULL when libcurl or memory fails. */
http_client *http_client_new(struct event_base *base);
/* Aborts every transfer in flight; their callbacks are not called. */
void http_client_free(http_client *c);

/* Per-transfer settings (read when a transfer starts; a reload applies to the next). */
void http_client_configure(http_client *c, int timeout_s, bool allow_private);

/* POSTs body (copied) to url with the given "Name: value" headers (copied,
 * NULL-terminated). Returns 0, or -1 when the transfer could not be started
 * (cb is then not called). */
int http_client_post(http_client *c, const char *url, const char *const *headers, const char *body,
                     http_done_cb cb, void *arg);

/* Sends message (a whole RFC 5322 text, copied) from `from` to `to` through the
 * SMTP server at smtp_url. The SMTP server is the operator's: it is not
 * subject to the private-address refusal. Same return and callback as above. */
int http_client_mail(http_client *c, const char *smtp_url, const char *from, const char *to, const char *message,
                     http_done_cb cb, void *arg);

/* Transfers in flight. */
int http_client_active(const http_client *c);

#endif
