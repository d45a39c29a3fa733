/* net_guard.h - which network addresses alerts may reach (pure).
 *
 * Webhook URLs are chosen by API users, so by default the daemon refuses to
 * connect to anything but public unicast addresses: no loopback, private,
 * link-local, shared (CGNAT), unspecified, multicast, documentation or
 * reserved ranges, including IPv4 written inside IPv6 (::ffff:a.b.c.d,
 * 64:ff9b::/96). The check is made on the address about to be connected. */
#ifndef CONSULTD_NET_GUARD_H
#define CONSULTD_NET_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* true when sa is a public unicast address. */
bool net_addr_public(const struct sockaddr *sa);

/* true when text is a literal IPv4 or IPv6 address (brackets allowed) that is
 * not public; false for host names and public literals. */
bool net_literal_private(const char *text);

/* The address as text ("192.0.2.1", "::1") into out. */
void net_addr_text(const struct sockaddr *sa, char *out, size_t outlen);

#endif
