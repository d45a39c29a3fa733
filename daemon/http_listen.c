/* http_listen.c - the daemon's listening sockets (http_listen.h). */
#include "http_listen.h"

#include <errno.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LISTEN_BACKLOG 128 /* as evhttp_bind_socket */

int http_listen_split(const char *address, char *host, size_t hlen, unsigned short *port)
{
    const char *colon = strrchr(address, ':');
    if (!colon)
        return -1;
    /* digits only: strtol would also take blanks, a sign or a 0x */
    const char *digits = colon + 1;
    size_t nd = strspn(digits, "0123456789");
    if (nd == 0 || nd > 5 || digits[nd] != '\0')
        return -1;
    long p = strtol(digits, NULL, 10);
    if (p > 65535)
        return -1;
    size_t n = (size_t)(colon - address);
    const char *h = address;
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    } else if (memchr(h, ':', n) || memchr(h, '[', n) || memchr(h, ']', n)) {
        return -1; /* an IPv6 address without its brackets, or half of them */
    }
    if (n == 0 || n >= hlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = (unsigned short)p;
    return 0;
}

bool http_listen_clash(const char *a, const char *b)
{
    char ha[256], hb[256];
    unsigned short pa, pb;
    if (http_listen_split(a, ha, sizeof ha, &pa) < 0 || http_listen_split(b, hb, sizeof hb, &pb) < 0)
        return false;
    if (pa != pb || pa == 0)
        return false;
    if (strcasecmp(ha, hb) == 0 || strcmp(ha, "::") == 0 || strcmp(hb, "::") == 0)
        return true;
    /* 0.0.0.0 takes the port on every IPv4 address (a name may be either family: not judged) */
    bool a_any4 = strcmp(ha, "0.0.0.0") == 0, b_any4 = strcmp(hb, "0.0.0.0") == 0;
    return (a_any4 && !strchr(hb, ':')) || (b_any4 && !strchr(ha, ':'));
}

struct evhttp_bound_socket *http_listen(struct evhttp *http, struct event_base *base, const char *address,
                                        bool reuse_port, const char *in_use, char *err, size_t errlen)
{
    char host[256], port_text[8];
    unsigned short port;
    if (http_listen_split(address, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "cannot read \"%s\" as host:port", address);
        return NULL;
    }
    snprintf(port_text, sizeof port_text, "%u", (unsigned)port);
    struct evutil_addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE;
    int rc = evutil_getaddrinfo(host, port_text, &hints, &found);
    if (rc != 0 || !found) {
        snprintf(err, errlen, "cannot resolve \"%s\": %s", host, rc ? evutil_gai_strerror(rc) : "no address");
        if (found)
            evutil_freeaddrinfo(found);
        return NULL;
    }
    unsigned flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
    if (reuse_port)
        flags |= LEV_OPT_REUSEABLE_PORT;
    /* No callback yet: the listener starts disabled and evhttp_bind_listener
     * enables it with evhttp's. */
    struct evconnlistener *l =
        evconnlistener_new_bind(base, NULL, NULL, flags, LISTEN_BACKLOG, found->ai_addr, (int)found->ai_addrlen);
    int bind_errno = errno;
    evutil_freeaddrinfo(found);
    if (!l) {
        bool taken = bind_errno == EADDRINUSE && in_use && *in_use;
        snprintf(err, errlen, "cannot listen on %s: %s%s%s%s", address, strerror(bind_errno), taken ? " (" : "",
                 taken ? in_use : "", taken ? ")" : "");
        return NULL;
    }
    struct evhttp_bound_socket *bound = evhttp_bind_listener(http, l);
    if (!bound) {
        evconnlistener_free(l);
        snprintf(err, errlen, "cannot listen on %s: out of memory", address);
        return NULL;
    }
    return bound;
}

int http_listen_bound(struct evhttp_bound_socket *bound, char *out, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[NI_MAXHOST], port[NI_MAXSERV];
    evutil_socket_t fd = evhttp_bound_socket_get_fd(bound);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return -1;
    bool v6 = ss.ss_family == AF_INET6;
    int n = snprintf(out, len, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}
