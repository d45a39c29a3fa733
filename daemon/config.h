/* config.h - consultd configuration: defaults, INI file, environment.
 *
 * One table row per key (config.c) names its type, default, bounds and whether
 * it can change on reload. A key written section.key in the docs is read from
 * "[section] key = value" and overridden by CONSULTD_SECTION_KEY. */
#ifndef CONSULTD_CONFIG_H
#define CONSULTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/consultd/consultd.conf"

typedef struct config {
    char *path;                 /* the file read, or NULL when none was */
    char *database_url;
    int database_pool_size;
    int database_statement_timeout_ms;
    int database_plan_refresh_runs;   /* runs of a connection's prepared statements before they are prepared again */
    int database_max_waiting;
    int database_connect_timeout_s;
    char *server_listen;
    bool server_reuse_port;       /* share server_listen with other consultd processes (SO_REUSEPORT) */
    char *server_admin_listen;    /* "" or host:port answering only /healthz, /readyz and /metrics */
    int server_max_body_bytes;
    int server_max_import_bytes;
    int server_max_header_bytes;
    int server_timeout_s;
    int server_auth_cache_s;
    char *server_public_url;
    int overlap_window_days;
    int overlap_text_weights_refresh_s;
    int fatigue_max_asks;
    int fatigue_window_days;
    bool alerts_allow_private_targets;
    char *alerts_retry_schedule;
    int alerts_timeout_s;
    int alerts_max_in_flight;
    char *smtp_url;
    char *smtp_from;
    int limits_key_rate;
    int limits_key_burst;
    char *log_format;
    char *log_level;
} config;

/* Fills cfg with every default. Free with config_free. */
void config_defaults(config *cfg);
void config_free(config *cfg);

/* Sets section.key from its text form. Returns 0, or -1 with a message naming
 * the key in err. */
int config_set(config *cfg, const char *section, const char *key, const char *value,
               char *err, size_t errlen);

/* Applies INI text (for tests and for the file reader). name labels errors.
 * Returns 0, or -1 with one line in err ("name:line: reason"). */
int config_apply_ini(config *cfg, const char *name, const char *text, char *err, size_t errlen);

/* Applies CONSULTD_* variables from envp (NULL-terminated). Unknown CONSULTD_
 * variables are errors. Returns 0, or -1 with the variable named in err. */
int config_apply_env(config *cfg, char *const *envp, char *err, size_t errlen);

/* The whole load: defaults, then the file (path, or the default path when it
 * exists; an explicitly named file must exist), then the environment.
 * Then the keys are checked against each other: server.admin_listen must not
 * take server.listen's socket (http_listen_clash), and server.reuse_port
 * needs a server.listen port other than 0. Returns 0, or -1 with one
 * line in err (exit status 2 material). */
int config_load(config *cfg, const char *path, bool explicit_path, char *const *envp,
                char *err, size_t errlen);

/* Commands that need the database call this: -1 with what to set when there
 * is no database URL. */
int config_require_database(const config *cfg, char *err, size_t errlen);

/* Writes every key and its effective value (secrets in URLs masked). */
void config_dump(const config *cfg, FILE *out);

/* Counts the keys that differ between a and b and cannot change on reload,
 * and names them in err ("section.key, ...", cut at errlen; "" when none);
 * returns how many there are. Logs nothing: the caller does. */
int config_restart_only_changes(const config *a, const config *b, char *err, size_t errlen);

/* For a reload: sets every key that cannot change without a restart (the
 * ones config_restart_only_changes counts) in fresh to its value in running;
 * strings are copied, so each config still owns and frees its own. Returns
 * 0, or -1 when out of memory (fresh then holds some running values and some
 * of its own, still valid to config_free). */
int config_keep_restart_only(config *fresh, const config *running);

/* The address people reach the service at, without a trailing slash:
 * server.public_url, or http://<server.listen> when that is not set. Used
 * for feed addresses, calendar events' and alert bodies' console_url. */
void config_public_url(const config *cfg, char *out, size_t len);

#endif
