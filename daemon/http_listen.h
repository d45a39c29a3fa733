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
 * there is no colon, the host is empty or longer than hlen - 1 bytes, the
 * host holds a colon or bracket outside a pair of brackets around it (an
 * IPv6 address is written in brackets, RFC 3986 section 3.2.2), or the port
 * is not 1 to 5 decimal digits making 0 to 65535 (no sign, no blanks). Pure. */
int http_listen_split(const char *address, char *host, size_t hlen, unsigned short *port);

/* true when one process cannot listen on both addresses: both parse
 * (http_listen_split), their port is the same and not 0, and either the
 * hosts are the same text (case-insensitive), or one of them is the IPv6
 * wildcard "::" (which also takes IPv4 on Linux's default dual-stack
 * sockets, ipv6(7)), or one is "0.0.0.0" and the other no IPv6 address.
 * A name and an address it resolves to are not compared (no lookup). Pure. */
bool http_listen_clash(const char *a, const char *b);

/* Listens on address ("host:port"; a name is resolved, the first address
 * found is used) and hands accepted connections to http. With reuse_port the
 * socket is bound with SO_REUSEPORT: other processes of the same user that
 * also ask for it may listen on the same address, and the kernel spreads new
 * connections among them. Returns evhttp's handle of the socket (owned by
 * http: evhttp_del_accept_socket or evhttp_free closes it), or NULL with the
 * reason written into err (errlen bytes, NUL-terminated); when the address is
 * in use, the reason ends with in_use in parentheses (the caller's advice,
 * which depends on what the address is for; NULL or "" for none). */
struct evhttp_bound_socket *http_listen(struct evhttp *http, struct event_base *base, const char *address,
                                        bool reuse_port, const char *in_use, char *err, size_t errlen);

/* The address bound's socket has, as "host:port" or "[v6]:port" with
 * numbers only (getsockname(2)): the port the kernel chose for port 0, the
 * address a name resolved to. Writes it NUL-terminated into out (len bytes;
 * 64 hold any) and returns 0, or -1 when it cannot be had or does not fit. */
int http_listen_bound(struct evhttp_bound_socket *bound, char *out, size_t len);

#endif
