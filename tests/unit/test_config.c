/* Unit tests: configuration table, INI parsing, environment overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "http_listen.h"

static void defaults_match_contract(void **state)
{
    (void)state;
    config c;
    config_defaults(&c);
    assert_int_equal(c.overlap_window_days, 28);
    assert_int_equal(c.overlap_text_weights_refresh_s, 300);
    assert_int_equal(c.fatigue_max_asks, 3);
    assert_int_equal(c.fatigue_window_days, 90);
    assert_false(c.alerts_allow_private_targets);
    assert_int_equal(c.alerts_timeout_s, 15);
    assert_int_equal(c.limits_key_rate, 50);
    assert_int_equal(c.limits_key_burst, 200);
    assert_int_equal(c.server_max_body_bytes, 1048576);
    assert_int_equal(c.server_timeout_s, 30);
    assert_string_equal(c.log_format, "text");
    config_free(&c);
}

static void ini_sets_keys(void **state)
{
    (void)state;
    config c;
    config_defaults(&c);
    char err[256];
    const char *ini = "# comment\n[database]\nurl = postgresql://u@h/db\n[alerts]\nallow_private_targets = yes\n"
                      "[overlap]\nwindow_days=14\n[log]\nformat = json\n";
    assert_int_equal(config_apply_ini(&c, "t.conf", ini, err, sizeof err), 0);
    assert_string_equal(c.database_url, "postgresql://u@h/db");
    assert_true(c.alerts_allow_private_targets);
    assert_int_equal(c.overlap_window_days, 14);
    assert_string_equal(c.log_format, "json");
    config_free(&c);
}

static void unknown_key_names_key_and_line(void **state)
{
    (void)state;
    config c;
    config_defaults(&c);
    char err[256];
    assert_int_equal(config_apply_ini(&c, "t.conf", "[server]\nlisten = 127.0.0.1:1\nlistn = x\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "t.conf:3"));
    assert_non_null(strstr(err, "server.listn"));
    assert_non_null(strstr(err, "unknown key"));
    config_free(&c);
}

static void out_of_range_and_bad_types(void **state)
{
    (void)state;
    config c;
    config_defaults(&c);
    char err[256];
    assert_int_equal(config_set(&c, "server", "timeout_s", "0", err, sizeof err), -1);
    assert_non_null(strstr(err, "server.timeout_s"));
    assert_non_null(strstr(err, "from 1 to 3600"));
    assert_int_equal(config_set(&c, "overlap", "text_weights_refresh_s", "0", err, sizeof err), -1);
    assert_non_null(strstr(err, "overlap.text_weights_refresh_s"));
    assert_int_equal(config_set(&c, "overlap", "text_weights_refresh_s", "86400", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "server", "timeout_s", "12abc", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "alerts", "allow_private_targets", "maybe", err, sizeof err), -1);
    assert_non_null(strstr(err, "true or false"));
    assert_int_equal(config_set(&c, "log", "format", "xml", err, sizeof err), -1);
    assert_non_null(strstr(err, "text|json"));
    assert_int_equal(config_set(&c, "server", "listen", "nocolon", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "server", "listen", ":8080", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "server", "listen", "127.0.0.1:65536", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "server", "listen", "127.0.0.1:", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "server", "listen", "[::1]:8080", err, sizeof err), 0);
    /* admin_listen: empty (off) or host:port, checked as listen is */
    assert_string_equal(c.server_admin_listen, "");
    assert_int_equal(config_set(&c, "server", "admin_listen", "127.0.0.1:9101", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "server", "admin_listen", "9101", err, sizeof err), -1);
    assert_non_null(strstr(err, "server.admin_listen: must be host:port"));
    assert_int_equal(config_set(&c, "server", "admin_listen", "", err, sizeof err), 0);
    assert_false(c.server_reuse_port);
    assert_int_equal(config_set(&c, "server", "reuse_port", "sometimes", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "server", "reuse_port", "true", err, sizeof err), 0);
    assert_true(c.server_reuse_port);
    assert_int_equal(config_set(&c, "alerts", "retry_schedule", "10,x", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "alerts", "retry_schedule", "10, 20,30", err, sizeof err), 0);
    assert_int_equal(config_apply_ini(&c, "t", "url = x\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "outside a [section]"));
    config_free(&c);
}

static void listen_addresses_split(void **state)
{
    (void)state;
    char host[16];
    unsigned short port = 1;
    assert_int_equal(http_listen_split("[::1]:8080", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_int_equal(http_listen_split("localhost:0", host, sizeof host, &port), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 0);
    assert_int_equal(http_listen_split("[]:80", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("127.0.0.1:80x", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("127.0.0.1:-1", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("a-name-far-too-long:80", host, sizeof host, &port), -1);
    /* the port is digits only: strtol's leading blanks and signs are not a port */
    assert_int_equal(http_listen_split("127.0.0.1: 80", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("127.0.0.1:+80", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("127.0.0.1:-0", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("127.0.0.1:0x50", host, sizeof host, &port), -1);
    /* an IPv6 address only in brackets (RFC 3986 3.2.2): "::1:80" could be either */
    assert_int_equal(http_listen_split("::1:80", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("[::1:80", host, sizeof host, &port), -1);
    assert_int_equal(http_listen_split("[::]:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "::");
}

static void listen_addresses_clash(void **state)
{
    (void)state;
    static const struct { const char *a, *b; bool clash; } cases[] = {
        /* the same socket, or a wildcard that covers the other: one process cannot bind both */
        { "127.0.0.1:8080", "127.0.0.1:8080", true },
        { "LocalHost:8080", "localhost:8080", true },
        { "0.0.0.0:8080", "127.0.0.1:8080", true },
        { "127.0.0.1:8080", "0.0.0.0:8080", true },
        { "[::]:8080", "127.0.0.1:8080", true },
        { "[::1]:8080", "[::]:8080", true },
        { "[::1]:8080", "[::1]:8080", true },
        /* different ports, different addresses, or port 0 (the kernel picks a free one each time) */
        { "127.0.0.1:8080", "127.0.0.1:8081", false },
        { "127.0.0.1:8080", "127.0.0.2:8080", false },
        { "0.0.0.0:8080", "[::1]:8080", false },
        { "127.0.0.1:0", "127.0.0.1:0", false },
        { "127.0.0.1:8080", "", false },
        { "nocolon", "nocolon", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (http_listen_clash(cases[i].a, cases[i].b) != cases[i].clash)
            fail_msg("http_listen_clash(\"%s\", \"%s\") is not %s", cases[i].a, cases[i].b,
                     cases[i].clash ? "true" : "false");
    }
}

static void admin_listen_must_not_be_listen(void **state)
{
    (void)state;
    config c;
    char err[256];
    char *same[] = { "CONSULTD_DATABASE_URL=postgresql://u@h/db", "CONSULTD_LISTEN=127.0.0.1:8080",
                     "CONSULTD_SERVER_ADMIN_LISTEN=127.0.0.1:8080", NULL };
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", false, same, err, sizeof err), -1);
    assert_non_null(strstr(err, "server.admin_listen"));
    assert_non_null(strstr(err, "server.listen"));
    config_free(&c);
    char *wild[] = { "CONSULTD_LISTEN=0.0.0.0:9101", "CONSULTD_SERVER_ADMIN_LISTEN=127.0.0.1:9101", NULL };
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", false, wild, err, sizeof err), -1);
    config_free(&c);
    char *apart[] = { "CONSULTD_LISTEN=0.0.0.0:8080", "CONSULTD_SERVER_ADMIN_LISTEN=127.0.0.1:9101", NULL };
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", false, apart, err, sizeof err), 0);
    config_free(&c);
    /* port 0 is a free port for each process: nothing to share */
    char *any_port[] = { "CONSULTD_LISTEN=127.0.0.1:0", "CONSULTD_SERVER_REUSE_PORT=true", NULL };
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", false, any_port, err, sizeof err), -1);
    assert_non_null(strstr(err, "server.reuse_port"));
    config_free(&c);
    char *alone[] = { "CONSULTD_LISTEN=127.0.0.1:0", "CONSULTD_SERVER_ADMIN_LISTEN=127.0.0.1:0", NULL };
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", false, alone, err, sizeof err), 0);
    config_free(&c);
}

static void reload_keeps_restart_only_keys(void **state)
{
    (void)state;
    config running, fresh;
    char err[512];
    config_defaults(&running);
    config_defaults(&fresh);
    assert_int_equal(config_set(&running, "database", "url", "postgresql://u@h/a", err, sizeof err), 0);
    assert_int_equal(config_set(&running, "server", "admin_listen", "127.0.0.1:9101", err, sizeof err), 0);
    /* every restart-only key changed in the file, and a reloadable one */
    assert_int_equal(config_set(&fresh, "database", "url", "postgresql://u@h/b", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "database", "pool_size", "9", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "database", "statement_timeout_ms", "999", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "database", "max_waiting", "7", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "database", "connect_timeout_s", "9", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "database", "plan_refresh_runs", "9", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "server", "listen", "127.0.0.1:1", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "server", "reuse_port", "true", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "server", "admin_listen", "", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "server", "max_import_bytes", "2048", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "server", "max_header_bytes", "2048", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "server", "timeout_s", "9", err, sizeof err), 0);
    assert_int_equal(config_set(&fresh, "limits", "key_rate", "9", err, sizeof err), 0);
    assert_int_equal(config_restart_only_changes(&running, &fresh, err, sizeof err), 12);

    assert_int_equal(config_keep_restart_only(&fresh, &running), 0);
    assert_int_equal(config_restart_only_changes(&running, &fresh, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_string_equal(fresh.database_url, "postgresql://u@h/a");
    assert_ptr_not_equal(fresh.database_url, running.database_url); /* a copy: each config frees its own */
    assert_string_equal(fresh.server_admin_listen, "127.0.0.1:9101");
    assert_false(fresh.server_reuse_port);
    assert_int_equal(fresh.database_pool_size, 4);
    assert_int_equal(fresh.limits_key_rate, 9); /* reloadable: the file's value */
    config_free(&running);
    config_free(&fresh);
}

static void environment_wins_and_alias(void **state)
{
    (void)state;
    config c;
    config_defaults(&c);
    char err[256];
    assert_int_equal(config_apply_ini(&c, "t", "[server]\nlisten = 10.0.0.1:80\n", err, sizeof err), 0);
    char *env[] = { "PATH=/bin", "CONSULTD_LISTEN=127.0.0.1:9000", "CONSULTD_OVERLAP_WINDOW_DAYS=7",
                    "CONSULTD_ALERTS_ALLOW_PRIVATE_TARGETS=true", NULL };
    assert_int_equal(config_apply_env(&c, env, err, sizeof err), 0);
    assert_string_equal(c.server_listen, "127.0.0.1:9000");
    assert_int_equal(c.overlap_window_days, 7);
    assert_true(c.alerts_allow_private_targets);
    /* the long name beats the alias whatever the order */
    char *env2[] = { "CONSULTD_SERVER_LISTEN=127.0.0.1:1", "CONSULTD_LISTEN=127.0.0.1:2", NULL };
    assert_int_equal(config_apply_env(&c, env2, err, sizeof err), 0);
    assert_string_equal(c.server_listen, "127.0.0.1:1");
    char *env3[] = { "CONSULTD_OVERLAP_WINDOWDAYS=3", NULL };
    assert_int_equal(config_apply_env(&c, env3, err, sizeof err), -1);
    assert_non_null(strstr(err, "CONSULTD_OVERLAP_WINDOWDAYS"));
    char *env4[] = { "CONSULTD_FATIGUE_MAX_ASKS=0", NULL };
    assert_int_equal(config_apply_env(&c, env4, err, sizeof err), -1);
    assert_non_null(strstr(err, "fatigue.max_asks"));
    config_free(&c);
}

static void missing_database_says_what_to_set(void **state)
{
    (void)state;
    config c;
    char err[512];
    char *env[] = { NULL };
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", false, env, err, sizeof err), 0);
    assert_int_equal(config_require_database(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "CONSULTD_DATABASE_URL"));
    config_free(&c);
    assert_int_equal(config_load(&c, "/nonexistent/consultd.conf", true, env, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    config_free(&c);
}

static void dump_masks_password(void **state)
{
    (void)state;
    config c;
    config_defaults(&c);
    char err[256];
    assert_int_equal(config_set(&c, "database", "url", "postgresql://u:s3cret@h/db", err, sizeof err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_dump(&c, f);
    fclose(f);
    assert_null(strstr(buf, "s3cret"));
    assert_non_null(strstr(buf, "url = postgresql://u:***@h/db"));
    free(buf);
    config_free(&c);
}

static void restart_only_changes_listed(void **state)
{
    (void)state;
    config a, b;
    config_defaults(&a);
    config_defaults(&b);
    char err[256];
    config_set(&b, "server", "listen", "127.0.0.1:1", err, sizeof err);
    config_set(&b, "overlap", "window_days", "3", err, sizeof err);
    char changed[256];
    assert_int_equal(config_restart_only_changes(&a, &b, changed, sizeof changed), 1);
    assert_string_equal(changed, "server.listen");
    config_free(&a);
    config_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_match_contract),
        cmocka_unit_test(ini_sets_keys),
        cmocka_unit_test(unknown_key_names_key_and_line),
        cmocka_unit_test(out_of_range_and_bad_types),
        cmocka_unit_test(listen_addresses_split),
        cmocka_unit_test(listen_addresses_clash),
        cmocka_unit_test(admin_listen_must_not_be_listen),
        cmocka_unit_test(reload_keeps_restart_only_keys),
        cmocka_unit_test(environment_wins_and_alias),
        cmocka_unit_test(missing_database_says_what_to_set),
        cmocka_unit_test(dump_masks_password),
        cmocka_unit_test(restart_only_changes_listed),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
