/* config.c - the table of configuration keys and their parsing. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "delivery_policy.h"
#include "http_listen.h"

typedef enum { T_STR, T_INT, T_BOOL, T_ENUM } key_type;

typedef struct key_def {
    const char *section;
    const char *key;
    key_type type;
    size_t offset;
    const char *def;
    long min, max;          /* T_INT bounds */
    const char *choices;    /* T_ENUM: '|'-separated */
    bool reloadable;
} key_def;

#define O(f) offsetof(config, f)

static const key_def keys[] = {
    { "database", "url", T_STR, O(database_url), "", 0, 0, NULL, false },
    { "database", "pool_size", T_INT, O(database_pool_size), "4", 1, 64, NULL, false },
    { "database", "statement_timeout_ms", T_INT, O(database_statement_timeout_ms), "5000", 100, 600000, NULL, false },
    { "database", "max_waiting", T_INT, O(database_max_waiting), "1024", 1, 100000, NULL, false },
    { "database", "connect_timeout_s", T_INT, O(database_connect_timeout_s), "5", 1, 60, NULL, false },
    { "database", "plan_refresh_runs", T_INT, O(database_plan_refresh_runs), "1000", 1, 100000000, NULL, false },
    { "server", "listen", T_STR, O(server_listen), "127.0.0.1:8080", 0, 0, NULL, false },
    { "server", "reuse_port", T_BOOL, O(server_reuse_port), "false", 0, 0, NULL, false },
    { "server", "admin_listen", T_STR, O(server_admin_listen), "", 0, 0, NULL, false },
    { "server", "max_body_bytes", T_INT, O(server_max_body_bytes), "1048576", 1024, 16777216, NULL, true },
    { "server", "max_import_bytes", T_INT, O(server_max_import_bytes), "16777216", 1024, 268435456, NULL, false },
    { "server", "max_header_bytes", T_INT, O(server_max_header_bytes), "16384", 1024, 1048576, NULL, false },
    { "server", "timeout_s", T_INT, O(server_timeout_s), "30", 1, 3600, NULL, false },
    { "server", "auth_cache_s", T_INT, O(server_auth_cache_s), "5", 0, 300, NULL, true },
    { "server", "public_url", T_STR, O(server_public_url), "", 0, 0, NULL, true },
    { "overlap", "window_days", T_INT, O(overlap_window_days), "28", 0, 366, NULL, true },
    { "overlap", "text_weights_refresh_s", T_INT, O(overlap_text_weights_refresh_s), "300", 1, 86400, NULL, true },
    { "fatigue", "max_asks", T_INT, O(fatigue_max_asks), "3", 1, 1000, NULL, true },
    { "fatigue", "window_days", T_INT, O(fatigue_window_days), "90", 1, 3660, NULL, true },
    { "alerts", "allow_private_targets", T_BOOL, O(alerts_allow_private_targets), "false", 0, 0, NULL, true },
    { "alerts", "retry_schedule", T_STR, O(alerts_retry_schedule),
      "30,60,300,900,1800,3600,7200,14400,21600,21600,21600", 0, 0, NULL, true },
    { "alerts", "timeout_s", T_INT, O(alerts_timeout_s), "15", 1, 300, NULL, true },
    { "alerts", "max_in_flight", T_INT, O(alerts_max_in_flight), "64", 1, 10000, NULL, true },
    { "smtp", "url", T_STR, O(smtp_url), "", 0, 0, NULL, true },
    { "smtp", "from", T_STR, O(smtp_from), "", 0, 0, NULL, true },
    { "limits", "key_rate", T_INT, O(limits_key_rate), "50", 1, 1000000, NULL, true },
    { "limits", "key_burst", T_INT, O(limits_key_burst), "200", 0, 1000000, NULL, true },
    { "log", "format", T_ENUM, O(log_format), "text", 0, 0, "text|json", true },
    { "log", "level", T_ENUM, O(log_level), "info", 0, 0, "debug|info|warn|error", true },
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const key_def *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

static bool enum_allows(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vl && strncmp(p, v, len) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *yes[] = { "true", "yes", "on", "1" }, *no[] = { "false", "no", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) { *out = true; return 0; }
        if (strcasecmp(v, no[i]) == 0) { *out = false; return 0; }
    }
    return -1;
}

/* Validates keys whose values have a structure of their own. */
static int check_structured(const key_def *k, const char *value, char *err, size_t errlen)
{
    if (k->offset == O(alerts_retry_schedule)) {
        int steps[RETRY_SCHEDULE_MAX];
        if (retry_schedule_parse(value, steps, RETRY_SCHEDULE_MAX) < 0) {
            snprintf(err, errlen, "%s.%s: must be a comma-separated list of at most %d steps in seconds "
                                  "(1 to 604800 each), got \"%s\"", k->section, k->key, RETRY_SCHEDULE_MAX, value);
            return -1;
        }
        return 0;
    }
    if (k->offset == O(server_public_url) && *value &&
        ((strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) || value[strlen(value) - 1] == '/')) {
        snprintf(err, errlen, "%s.%s: must be an http:// or https:// URL without a trailing slash, got \"%s\"",
                 k->section, k->key, value);
        return -1;
    }
    if (k->offset == O(server_listen) || (k->offset == O(server_admin_listen) && *value)) {
        char host[256];
        unsigned short port;
        if (http_listen_split(value, host, sizeof host, &port) < 0) {
            snprintf(err, errlen, "%s.%s: must be host:port or [v6]:port (port 0 to 65535), got \"%s\"",
                     k->section, k->key, value);
            return -1;
        }
    }
    return 0;
}

int config_set(config *cfg, const char *section, const char *key, const char *value,
               char *err, size_t errlen)
{
    const key_def *k = find_key(section, key);
    if (!k) {
        snprintf(err, errlen, "%s.%s: unknown key", section, key);
        return -1;
    }
    void *field = (char *)cfg + k->offset;
    switch (k->type) {
    case T_ENUM:
        if (!enum_allows(k->choices, value)) {
            snprintf(err, errlen, "%s.%s: must be one of %s, got \"%s\"", section, key, k->choices, value);
            return -1;
        }
        /* fall through */
    case T_STR: {
        if (check_structured(k, value, err, errlen) < 0)
            return -1;
        char *copy = strdup(value);
        if (!copy) {
            snprintf(err, errlen, "%s.%s: out of memory", section, key);
            return -1;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    }
    case T_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end || errno || v < k->min || v > k->max) {
            snprintf(err, errlen, "%s.%s: must be an integer from %ld to %ld, got \"%s\"",
                     section, key, k->min, k->max, value);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case T_BOOL:
        if (parse_bool(value, (bool *)field) < 0) {
            snprintf(err, errlen, "%s.%s: must be true or false, got \"%s\"", section, key, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

void config_defaults(config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char err[256];
    for (size_t i = 0; i < NKEYS; i++)
        if (config_set(cfg, keys[i].section, keys[i].key, keys[i].def, err, sizeof err) < 0)
            abort(); /* a default outside its own bounds is a programming error */
}

void config_free(config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].type == T_STR || keys[i].type == T_ENUM) {
            char **p = (char **)((char *)cfg + keys[i].offset);
            free(*p);
            *p = NULL;
        }
    free(cfg->path);
    cfg->path = NULL;
}

typedef struct ini_state {
    config *cfg;
    char *err;
    size_t errlen;
} ini_state;

static int on_ini_key(void *user, const char *section, const char *name, const char *value)
{
    ini_state *st = user;
    if (!*section) {
        snprintf(st->err, st->errlen, "%s: key outside a [section]", name);
        return 0;
    }
    return config_set(st->cfg, section, name, value, st->err, st->errlen) == 0;
}

int config_apply_ini(config *cfg, const char *name, const char *text, char *err, size_t errlen)
{
    char inner[400] = "syntax error";
    ini_state st = { cfg, inner, sizeof inner };
    int line = ini_parse_string(text, on_ini_key, &st);
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", name, line, inner);
        return -1;
    }
    return 0;
}

static void env_name(const key_def *k, char *buf, size_t len)
{
    snprintf(buf, len, "CONSULTD_%s_%s", k->section, k->key);
    for (char *p = buf; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

int config_apply_env(config *cfg, char *const *envp, char *err, size_t errlen)
{
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "CONSULTD_", 9) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - *e);
        const key_def *match = NULL;
        if (nlen == strlen("CONSULTD_LISTEN") && strncmp(*e, "CONSULTD_LISTEN", nlen) == 0) {
            match = find_key("server", "listen");
        } else {
            for (size_t i = 0; i < NKEYS && !match; i++) {
                char name[96];
                env_name(&keys[i], name, sizeof name);
                if (strlen(name) == nlen && strncmp(name, *e, nlen) == 0)
                    match = &keys[i];
            }
        }
        if (!match) {
            snprintf(err, errlen, "%.*s: unknown configuration variable", (int)nlen, *e);
            return -1;
        }
        char inner[400];
        if (config_set(cfg, match->section, match->key, eq + 1, inner, sizeof inner) < 0) {
            snprintf(err, errlen, "%.*s: %s", (int)nlen, *e, inner);
            return -1;
        }
    }
    /* CONSULTD_SERVER_LISTEN wins over the short alias whatever the order. */
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, "CONSULTD_SERVER_LISTEN=", 23) == 0)
            return config_set(cfg, "server", "listen", *e + 23, err, errlen);
    return 0;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= (1u << 20)) {
                snprintf(err, errlen, "%s: larger than 1 MiB", path);
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: read error", path);
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (buf)
        buf[len] = '\0';
    else if (!*err)
        snprintf(err, errlen, "%s: out of memory", path);
    fclose(f);
    return buf;
}

int config_load(config *cfg, const char *path, bool explicit_path, char *const *envp,
                char *err, size_t errlen)
{
    config_defaults(cfg);
    err[0] = '\0';
    if (!path)
        path = CONFIG_DEFAULT_PATH;
    struct stat st;
    if (explicit_path || stat(path, &st) == 0) {
        char *text = read_file(path, err, errlen);
        if (!text)
            return -1;
        int rc = config_apply_ini(cfg, path, text, err, errlen);
        free(text);
        if (rc < 0)
            return -1;
        cfg->path = strdup(path);
    }
    if (config_apply_env(cfg, envp, err, errlen) < 0)
        return -1;
    /* Checks across keys: the operations address is a second socket of the
     * same process, and a port is shared only when it is the same for all. */
    if (http_listen_clash(cfg->server_listen, cfg->server_admin_listen)) {
        snprintf(err, errlen, "server.admin_listen: %s takes the port of server.listen (%s): give the operations "
                 "address a port of its own", cfg->server_admin_listen, cfg->server_listen);
        return -1;
    }
    char host[256];
    unsigned short port;
    if (cfg->server_reuse_port && http_listen_split(cfg->server_listen, host, sizeof host, &port) == 0 && port == 0) {
        snprintf(err, errlen, "server.reuse_port: server.listen (%s) has port 0, a free port for each process, "
                 "so there is nothing to share: give the port", cfg->server_listen);
        return -1;
    }
    return 0;
}

int config_require_database(const config *cfg, char *err, size_t errlen)
{
    if (cfg->database_url && *cfg->database_url)
        return 0;
    if (cfg->path)
        snprintf(err, errlen, "database.url is not set: add \"url = postgresql://...\" under [database] in %s, "
                 "or set CONSULTD_DATABASE_URL", cfg->path);
    else
        snprintf(err, errlen, "no configuration: %s does not exist and CONSULTD_DATABASE_URL is not set; "
                 "set CONSULTD_DATABASE_URL=postgresql://user@host/dbname or pass -c FILE", CONFIG_DEFAULT_PATH);
    return -1;
}

/* Copies a connection string with any password replaced by "***". */
static void mask_secret(const char *in, char *out, size_t len)
{
    snprintf(out, len, "%s", in);
    char *scheme = strstr(out, "://");
    if (scheme) {
        char *at = strchr(scheme + 3, '@');
        char *colon = strchr(scheme + 3, ':');
        if (at && colon && colon < at) {
            size_t tail = strlen(at);
            if ((size_t)(colon + 1 - out) + 3 + tail < len)
                memmove(colon + 4, at, tail + 1), memcpy(colon + 1, "***", 3);
        }
    }
    char *pw = strstr(out, "password=");
    if (pw) {
        char *end = pw + 9;
        while (*end && *end != ' ')
            end++;
        memmove(pw + 12, end, strlen(end) + 1);
        memcpy(pw + 9, "***", 3);
    }
}

static void value_text(const config *cfg, const key_def *k, char *buf, size_t len)
{
    const void *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case T_INT: snprintf(buf, len, "%d", *(const int *)field); break;
    case T_BOOL: snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false"); break;
    default: snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : ""); break;
    }
}

void config_dump(const config *cfg, FILE *out)
{
    fprintf(out, "# configuration from %s and the environment\n", cfg->path ? cfg->path : "(no file)");
    const char *section = "";
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(section, keys[i].section) != 0) {
            section = keys[i].section;
            fprintf(out, "[%s]\n", section);
        }
        char v[1024], masked[1024];
        value_text(cfg, &keys[i], v, sizeof v);
        mask_secret(v, masked, sizeof masked);
        fprintf(out, "%s = %s\n", keys[i].key, masked);
    }
}

int config_restart_only_changes(const config *a, const config *b, char *err, size_t errlen)
{
    int n = 0;
    err[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].reloadable)
            continue;
        char va[1024], vb[1024];
        value_text(a, &keys[i], va, sizeof va);
        value_text(b, &keys[i], vb, sizeof vb);
        if (strcmp(va, vb) != 0) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, "%s%s.%s", n ? ", " : "", keys[i].section, keys[i].key);
            n++;
        }
    }
    return n;
}

int config_keep_restart_only(config *fresh, const config *running)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].reloadable)
            continue;
        void *to = (char *)fresh + keys[i].offset;
        const void *from = (const char *)running + keys[i].offset;
        switch (keys[i].type) {
        case T_STR:
        case T_ENUM: {
            char *copy = strdup(*(char *const *)from ? *(char *const *)from : "");
            if (!copy)
                return -1;
            free(*(char **)to);
            *(char **)to = copy;
            break;
        }
        case T_INT:
            *(int *)to = *(const int *)from;
            break;
        case T_BOOL:
            *(bool *)to = *(const bool *)from;
            break;
        }
    }
    return 0;
}

void config_public_url(const config *cfg, char *out, size_t len)
{
    if (cfg->server_public_url && *cfg->server_public_url)
        snprintf(out, len, "%s", cfg->server_public_url);
    else
        snprintf(out, len, "http://%s", cfg->server_listen ? cfg->server_listen : "127.0.0.1:8080");
}
