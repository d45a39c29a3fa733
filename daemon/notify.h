/* notify.h - the systemd notify protocol, spoken directly (no libsystemd).
 *
 * When NOTIFY_SOCKET names a socket (a path, or "@name" for the abstract
 * namespace), each message is one datagram of "KEY=value" lines, e.g.
 * "READY=1\nSTATUS=serving\n". Without NOTIFY_SOCKET every call does nothing.
 * The watchdog interval comes from WATCHDOG_USEC (honoured only when
 * WATCHDOG_PID is absent or names this process). */
#ifndef CONSULTD_NOTIFY_H
#define CONSULTD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

typedef struct notifier {
    int fd;                 /* -1: not under a service manager */
    char path[108];         /* sun_path; abstract names start with '\0' */
    size_t pathlen;
    uint64_t watchdog_usec; /* 0: no watchdog asked for */
} notifier;

/* Reads the environment (envp, as environ). Returns 0, or -1 with err set if
 * NOTIFY_SOCKET is set but unusable (the daemon runs on, logging err). */
int notify_open(notifier *n, char **envp, char *err, size_t errlen);
/* Closes the socket, if any. */
void notify_close(notifier *n);

/* Sends one message (its lines, each "KEY=value", newline-separated) as one
 * datagram. Returns 0 (also when there is no socket), or -1 when it was not
 * sent whole (the caller logs; the daemon runs on). */
int notify_send(const notifier *n, const char *message);

/* Pure parts, for tests. */
/* The socket address from a NOTIFY_SOCKET value: 0, or -1 when unusable. */
int notify_parse_socket(const char *value, char path[108], size_t *pathlen);
/* The watchdog interval in microseconds from WATCHDOG_USEC and WATCHDOG_PID
 * for process pid; 0 when none applies. */
uint64_t notify_parse_watchdog(const char *usec, const char *wpid, long pid);
/* "RELOADING=1\nMONOTONIC_USEC=<now>\n" into buf (len bytes): 0, or -1 when
 * it does not fit. */
int notify_reloading_message(char *buf, size_t len, uint64_t monotonic_usec);

#endif
