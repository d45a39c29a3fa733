/* http_listen.h - the daemon's listening sockets: "host:port" read and bound
 * for evhttp, alone on the port or sharing it with other consultd processes
 * on the same host (SO_REUSEPORT, Linux socket(7)). */
#ifndef CONSULTD_HTTP_LISTEN_H
#define CONSULTD_HTTP_LISTEN_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

/* Splits "host:port" or "[v6 address]:port" (the form of server.listen and
 * server.admin_listen). Writes the host without brackets, NUL-terminated,
 * into host (hlen bytes) and the port into *port. Returns 0, or -1 when
 * there is no colon, the host is empty or longer than hlen - 1 bytes, or the
 * port is not a number from 0 to 65535. Pure. */
int http_listen_split(const char *address, char *host, size_t hlen, unsigned short *port);

/* Listens on address ("host:port"; a name is resolved, the first address
 * found is used) and hands accepted connections to http. With reuse_port the
 * socket is bound with SO_REUSEPORT: other processes of the same user that
 * also ask for it may listen on the same address, and the kernel spreads new
 * connections among them. Returns evhttp's handle of the socket (owned by
 * http: evhttp_del_accept_socket or evhttp_free closes it), or NULL with the
 * reason written into err (errlen bytes, NUL-terminated). */
struct evhttp_bound_socket *http_listen(struct evhttp *http, struct event_base *base, const char *address,
                                        bool reuse_port, char *err, size_t errlen);

#endif
