/* Unit tests: the systemd notify protocol's parsing and the per-key token
 * buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "notify.h"
#include "ratelimit.h"

/* ---- notify -------------------------------------------------------------------------- */

static void notify_socket_forms(void **state)
{
    (void)state;
    char path[108];
    size_t len = 0;
    assert_int_equal(notify_parse_socket("/run/systemd/notify", path, &len), 0);
    assert_int_equal(len, strlen("/run/systemd/notify"));
    assert_memory_equal(path, "/run/systemd/notify", len);
    assert_int_equal(notify_parse_socket("@abstract/name", path, &len), 0);
    assert_int_equal(path[0], '\0');
    assert_memory_equal(path + 1, "abstract/name", len - 1);
    assert_int_equal(notify_parse_socket("vsock:2:1234", path, &len), -1);
    assert_int_equal(notify_parse_socket("relative/path", path, &len), -1);
    assert_int_equal(notify_parse_socket("", path, &len), -1);
    assert_int_equal(notify_parse_socket(NULL, path, &len), -1);
    char longer[200];
    memset(longer, 'x', sizeof longer - 1);
    longer[0] = '/';
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(notify_parse_socket(longer, path, &len), -1);
}

static void watchdog_interval_is_for_this_process_only(void **state)
{
    (void)state;
    assert_int_equal(notify_parse_watchdog("30000000", NULL, 42), 30000000u);
    assert_int_equal(notify_parse_watchdog("30000000", "42", 42), 30000000u);
    assert_int_equal(notify_parse_watchdog("30000000", "43", 42), 0);
    assert_int_equal(notify_parse_watchdog("30000000", "4x", 42), 0);
    assert_int_equal(notify_parse_watchdog("0", NULL, 42), 0);
    assert_int_equal(notify_parse_watchdog("-5", NULL, 42), 0);
    assert_int_equal(notify_parse_watchdog("12s", NULL, 42), 0);
    assert_int_equal(notify_parse_watchdog(NULL, NULL, 42), 0);
}

static void reloading_carries_the_monotonic_time(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(notify_reloading_message(buf, sizeof buf, 1234567890123u), 0);
    assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=1234567890123\n");
    assert_int_equal(notify_reloading_message(buf, 10, 1), -1);
}

/* The datagram reaches a socket bound where NOTIFY_SOCKET says. */
static void messages_reach_the_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/consultd-notify.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[100], env[130];
    snprintf(path, sizeof path, "%s/notify", dir);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);

    snprintf(env, sizeof env, "NOTIFY_SOCKET=%s", path);
    char *envp[] = { env, "WATCHDOG_USEC=2000000", NULL };
    notifier n;
    char err[128];
    assert_int_equal(notify_open(&n, envp, err, sizeof err), 0);
    assert_int_equal(n.watchdog_usec, 2000000u);
    assert_int_equal(notify_send(&n, "READY=1\nSTATUS=serving\n"), 0);
    char got[128];
    ssize_t r = recv(s, got, sizeof got - 1, 0);
    assert_true(r > 0);
    got[r] = '\0';
    assert_string_equal(got, "READY=1\nSTATUS=serving\n");
    notify_close(&n);
    close(s);
    unlink(path);
    rmdir(dir);

    char *none[] = { "PATH=/bin", NULL };
    assert_int_equal(notify_open(&n, none, err, sizeof err), 0);
    assert_int_equal(notify_send(&n, "READY=1\n"), 0); /* not under systemd: nothing to do */
    notify_close(&n);
    char *bad[] = { "NOTIFY_SOCKET=vsock:1:2", NULL };
    assert_int_equal(notify_open(&n, bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "NOTIFY_SOCKET"));
    notify_close(&n);
}

/* ---- rate limits --------------------------------------------------------------------- */

static void a_burst_then_the_rate(void **state)
{
    (void)state;
    ratelimit *r = ratelimit_new(100);
    assert_non_null(r);
    ratelimit_result x;
    for (int i = 0; i < 5; i++) {
        x = ratelimit_take(r, "key-a", 100.0, 2.0, 5);
        assert_true(x.allowed);
        assert_int_equal(x.remaining, 4 - i);
        assert_int_equal(x.limit, 5);
    }
    x = ratelimit_take(r, "key-a", 100.0, 2.0, 5);
    assert_false(x.allowed);
    assert_int_equal(x.retry_after_s, 1); /* half a second to a token, rounded up */
    assert_int_equal(x.window_s, 3);       /* 5 tokens at 2 a second */
    /* another key is untouched */
    x = ratelimit_take(r, "key-b", 100.0, 2.0, 5);
    assert_true(x.allowed);
    assert_int_equal(x.remaining, 4);
    /* half a second later: one token */
    x = ratelimit_take(r, "key-a", 100.5, 2.0, 5);
    assert_true(x.allowed);
    assert_int_equal(x.remaining, 0);
    x = ratelimit_take(r, "key-a", 100.5, 2.0, 5);
    assert_false(x.allowed);
    /* a slow rate gives a long wait */
    x = ratelimit_take(r, "key-c", 0.0, 0.1, 1);
    assert_true(x.allowed);
    x = ratelimit_take(r, "key-c", 0.0, 0.1, 1);
    assert_false(x.allowed);
    assert_int_equal(x.retry_after_s, 10);
    /* a long pause refills only up to the burst */
    x = ratelimit_take(r, "key-a", 10000.0, 2.0, 5);
    assert_int_equal(x.remaining, 4);
    /* a client's IPv6 address fits a key of its own (the public area search) */
    const char *v6 = "client:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    assert_true(ratelimit_take(r, v6, 0.0, 0.1, 1).allowed);
    assert_false(ratelimit_take(r, v6, 0.0, 0.1, 1).allowed);
    ratelimit_free(r);
}

static void the_table_stays_bounded(void **state)
{
    (void)state;
    ratelimit *r = ratelimit_new(4);
    char key[16];
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_true(ratelimit_take(r, key, 0.0, 1.0, 10).allowed);
    }
    assert_int_equal(ratelimit_keys(r), 4);
    /* all four are partly used: a fifth key is let through, not tracked */
    assert_true(ratelimit_take(r, "k5", 0.0, 1.0, 10).allowed);
    assert_int_equal(ratelimit_overflowed(r), 1);
    assert_int_equal(ratelimit_keys(r), 4);
    /* once they have refilled they are dropped to make room */
    ratelimit_result x = ratelimit_take(r, "k5", 5.0, 1.0, 10);
    assert_true(x.allowed);
    assert_int_equal(x.remaining, 9);
    assert_int_equal(ratelimit_keys(r), 1);
    /* and a key that was dropped starts full again */
    assert_int_equal(ratelimit_take(r, "k0", 5.0, 1.0, 10).remaining, 9);
    ratelimit_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notify_socket_forms),
        cmocka_unit_test(watchdog_interval_is_for_this_process_only),
        cmocka_unit_test(reloading_carries_the_monotonic_time),
        cmocka_unit_test(messages_reach_the_socket),
        cmocka_unit_test(a_burst_then_the_rate),
        cmocka_unit_test(the_table_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
