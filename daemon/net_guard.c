/* net_guard.c - public-address check for outgoing alerts. */
#include "net_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool v4_public(uint32_t a)
{
    static const struct { uint32_t net, mask; } refused[] = {
        { 0x00000000, 0xff000000 }, /* 0.0.0.0/8 this network */
        { 0x0a000000, 0xff000000 }, /* 10/8 private */
        { 0x64400000, 0xffc00000 }, /* 100.64/10 shared (CGNAT) */
        { 0x7f000000, 0xff000000 }, /* 127/8 loopback */
        { 0xa9fe0000, 0xffff0000 }, /* 169.254/16 link-local (cloud metadata) */
        { 0xac100000, 0xfff00000 }, /* 172.16/12 private */
        { 0xc0000000, 0xffffff00 }, /* 192.0.0/24 protocol assignments */
        { 0xc0000200, 0xffffff00 }, /* 192.0.2/24 documentation */
        { 0xc0a80000, 0xffff0000 }, /* 192.168/16 private */
        { 0xc6120000, 0xfffe0000 }, /* 198.18/15 benchmarking */
        { 0xc6336400, 0xffffff00 }, /* 198.51.100/24 documentation */
        { 0xcb007100, 0xffffff00 }, /* 203.0.113/24 documentation */
        { 0xe0000000, 0xe0000000 }, /* 224/4 multicast, 240/4 reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if ((a & refused[i].mask) == refused[i].net)
            return false;
    return true;
}

static bool v6_public(const unsigned char *b)
{
    static const unsigned char zero[16] = { 0 };
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
        return false; /* :: and ::1 */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    if (memcmp(b, zero, 12) == 0)
        return false; /* deprecated IPv4-compatible ::a.b.c.d */
    if ((b[0] & 0xfe) == 0xfc)
        return false; /* fc00::/7 unique local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return false; /* fe80::/10 link-local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return false; /* fec0::/10 site-local (deprecated) */
    if (b[0] == 0xff)
        return false; /* multicast */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return false; /* 2001:db8::/32 documentation */
    return true;
}

bool net_addr_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_public(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_public(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return false;
}

bool net_literal_private(const char *text)
{
    char buf[64];
    size_t len = strlen(text);
    if (len >= sizeof buf)
        return false;
    memcpy(buf, text, len + 1);
    if (buf[0] == '[' && len > 2 && buf[len - 1] == ']') {
        buf[len - 1] = '\0';
        memmove(buf, buf + 1, len - 1);
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, buf, &a4) == 1)
        return !v4_public(ntohl(a4.s_addr));
    if (inet_pton(AF_INET6, buf, &a6) == 1)
        return !v6_public(a6.s6_addr);
    return false;
}

void net_addr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
    const void *a = NULL;
    if (sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)outlen))
        snprintf(out, outlen, "(address family %d)", sa->sa_family);
}
