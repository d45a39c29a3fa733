/* notify.c - sd_notify(3)'s protocol over NOTIFY_SOCKET (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

int notify_parse_socket(const char *value, char path[108], size_t *pathlen)
{
    size_t n = value ? strlen(value) : 0;
    if (n < 2 || n >= 108 || (value[0] != '/' && value[0] != '@'))
        return -1; /* vsock and other forms are not supported */
    memcpy(path, value, n);
    if (path[0] == '@')
        path[0] = '\0';
    *pathlen = n;
    return 0;
}

uint64_t notify_parse_watchdog(const char *usec, const char *wpid, long pid)
{
    if (!usec || !*usec)
        return 0;
    if (wpid && *wpid) {
        char *end;
        long p = strtol(wpid, &end, 10);
        if (*end || p != pid)
            return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(usec, &end, 10);
    if (errno || *end || v == 0 || usec[0] == '-')
        return 0;
    return (uint64_t)v;
}

int notify_reloading_message(char *buf, size_t len, uint64_t monotonic_usec)
{
    int n = snprintf(buf, len, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\n", monotonic_usec);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int notify_open(notifier *n, char **envp, char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    n->watchdog_usec = notify_parse_watchdog(env_get(envp, "WATCHDOG_USEC"), env_get(envp, "WATCHDOG_PID"),
                                             (long)getpid());
    const char *sock = env_get(envp, "NOTIFY_SOCKET");
    if (!sock)
        return 0;
    if (notify_parse_socket(sock, n->path, &n->pathlen) < 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET=%s: not a socket path or @abstract name", sock);
        return -1;
    }
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (n->fd < 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void notify_close(notifier *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

int notify_send(const notifier *n, const char *message)
{
    if (n->fd < 0)
        return 0;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, n->path, n->pathlen);
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n->pathlen);
    ssize_t w = sendto(n->fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    return w == (ssize_t)strlen(message) ? 0 : -1;
}
