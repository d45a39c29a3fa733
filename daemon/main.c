/* main.c - command-line dispatch. Exit status: 0 success, 1 runtime failure,
 * 2 usage or configuration error (one clear line on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_areas.h"
#include "catalog.h"
#include "cli_admin.h"
#include "cli_import.h"
#include "config.h"
#include "log.h"
#include "cli_migrate.h"
#include "server.h"

extern char **environ;

static const char usage[] =
    "usage: consultd [-c FILE] [COMMAND]\n"
    "\n"
    "The shared register of planned public consultations, with overlap checks.\n"
    "\n"
    "commands:\n"
    "  serve                          run the daemon (the default)\n"
    "  migrate                        create or upgrade the database schema (idempotent)\n"
    "  org add --name NAME [--kind council|nhs|police|housing|vcse|other]\n"
    "                                 create an organisation; prints its id\n"
    "  key add --org ID --role partner|coordinator|admin [--label TEXT]\n"
    "                                 create an API key; prints the token (shown once)\n"
    "  key revoke KEY_ID              revoke a key (its id is the UUID inside the token)\n"
    "  areas import FILE.csv...       import ONS lookup CSVs (WDyyCD,WDyyNM,LADyyCD,...; LAD22CD,LAD23CD:\n"
    "                                 successions); queues the stored consultations it affects\n"
    "                                 for a re-check by the running daemons\n"
    "  import --org ID [--dry-run] FILE.csv\n"
    "                                 import consultations from a spreadsheet's CSV, as\n"
    "                                 POST /v1/consultations/import; prints the summary and\n"
    "                                 each failed row; exit 1 when a row failed\n"
    "  check-config                   validate the configuration and print it\n"
    "\n"
    "options:\n"
    "  -c FILE        configuration file (default " CONFIG_DEFAULT_PATH ")\n"
    "  --version      print the version\n"
    "  --help         print this help\n"
    "\n"
    "Every key can be set in the environment as CONSULTD_<SECTION>_<KEY>, e.g.\n"
    "CONSULTD_DATABASE_URL=postgresql://consultd@localhost/consultd and\n"
    "CONSULTD_LISTEN=127.0.0.1:8080 (short for CONSULTD_SERVER_LISTEN).\n";

static int fail_usage(const char *msg)
{
    fprintf(stderr, "consultd: %s (see consultd --help)\n", msg);
    return 2;
}

/* Finds "--name VALUE" among args; NULL if absent. Unknown options are errors. */
static int options(int argc, char **argv, const char *const *allowed, const char **values)
{
    for (int i = 0; i < argc; i++) {
        int k;
        for (k = 0; allowed[k]; k++)
            if (strcmp(argv[i], allowed[k]) == 0)
                break;
        if (!allowed[k] || i + 1 >= argc) {
            char msg[128];
            snprintf(msg, sizeof msg, allowed[k] ? "%s needs a value" : "unknown option %s", argv[i]);
            return fail_usage(msg);
        }
        values[k] = argv[++i];
    }
    return 0;
}

static int cmd_org(config *cfg, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "add") != 0)
        return fail_usage("org: expected \"org add --name NAME\"");
    static const char *const allowed[] = { "--name", "--kind", NULL };
    const char *v[2] = { NULL, "other" };
    if (options(argc - 1, argv + 1, allowed, v))
        return 2;
    if (!v[0])
        return fail_usage("org add: --name is required");
    char id[UUID_STR_LEN], err[512];
    if (admin_org_add(cfg->database_url, v[0], v[1], id, err, sizeof err) < 0) {
        fprintf(stderr, "consultd: org add: %s\n", err);
        return strncmp(err, "--", 2) == 0 ? 2 : 1;
    }
    printf("%s\n", id);
    return 0;
}

static int cmd_import(config *cfg, int argc, char **argv)
{
    const char *org = NULL, *file = NULL;
    bool dry_run = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
            org = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            char msg[128];
            snprintf(msg, sizeof msg, strcmp(argv[i], "--org") == 0 ? "%s needs a value" : "unknown option %s",
                     argv[i]);
            return fail_usage(msg);
        } else if (file)
            return fail_usage("import: expected one FILE.csv");
        else
            file = argv[i];
    }
    if (!org || !file)
        return fail_usage("import: expected \"import --org ID [--dry-run] FILE.csv\"");
    char err[512];
    int status = cli_import(cfg, org, dry_run, file, stdout, err, sizeof err);
    if (status != 0 && err[0])
        fprintf(stderr, "consultd: import: %s\n", err);
    return status;
}

static int cmd_key(config *cfg, int argc, char **argv)
{
    char err[512];
    if (argc >= 1 && strcmp(argv[0], "revoke") == 0) {
        if (argc != 2)
            return fail_usage("key revoke: expected one KEY_ID");
        if (admin_key_revoke(cfg->database_url, argv[1], err, sizeof err) < 0) {
            fprintf(stderr, "consultd: key revoke: %s\n", err);
            return strncmp(err, "KEY_ID", 6) == 0 ? 2 : 1;
        }
        fprintf(stderr, "key %s revoked\n", argv[1]);
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "add") != 0)
        return fail_usage("key: expected \"key add\" or \"key revoke\"");
    static const char *const allowed[] = { "--org", "--role", "--label", NULL };
    const char *v[3] = { NULL, NULL, NULL };
    if (options(argc - 1, argv + 1, allowed, v))
        return 2;
    if (!v[0] || !v[1])
        return fail_usage("key add: --org and --role are required");
    char token[TOKEN_MAX_LEN];
    if (admin_key_add(cfg->database_url, v[0], v[1], v[2], token, err, sizeof err) < 0) {
        fprintf(stderr, "consultd: key add: %s\n", err);
        return strncmp(err, "--", 2) == 0 ? 2 : 1;
    }
    printf("%s\n", token);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("consultd %s\n", CONSULTD_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            path = argv[++i];
            continue;
        }
        char msg[128];
        snprintf(msg, sizeof msg, "unknown option %s", argv[i]);
        return fail_usage(msg);
    }
    const char *cmd = i < argc ? argv[i++] : "serve";
    int nargs = argc - i;
    char **args = argv + i;

    static const char *const commands[] = { "serve", "migrate", "org", "key", "areas", "import", "check-config", NULL };
    int k;
    for (k = 0; commands[k] && strcmp(commands[k], cmd) != 0; k++)
        ;
    if (!commands[k]) {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown command \"%s\"", cmd);
        return fail_usage(msg);
    }

    config cfg;
    char err[1024];
    if (config_load(&cfg, path, path != NULL, environ, err, sizeof err) < 0) {
        fprintf(stderr, "consultd: configuration: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    log_setup((log_level)log_level_parse(cfg.log_level), strcmp(cfg.log_format, "json") == 0);
    int status;
    if (config_require_database(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "consultd: configuration: %s\n", err);
        status = 2;
    } else if (strcmp(cmd, "check-config") == 0) {
        config_dump(&cfg, stdout);
        status = 0;
    } else if (strcmp(cmd, "serve") == 0) {
        status = nargs ? fail_usage("serve takes no arguments") : server_run(&cfg);
    } else if (strcmp(cmd, "migrate") == 0) {
        int n = nargs ? -2 : migrate_run(cfg.database_url, err, sizeof err);
        if (n == -2)
            status = fail_usage("migrate takes no arguments");
        else if (n < 0) {
            fprintf(stderr, "consultd: migrate: %s\n", err);
            status = 1;
        } else {
            fprintf(stderr, "migrate: %d applied; schema at version %d\n", n, catalog_schema_latest());
            status = 0;
        }
    } else if (strcmp(cmd, "org") == 0) {
        status = cmd_org(&cfg, nargs, args);
    } else if (strcmp(cmd, "key") == 0) {
        status = cmd_key(&cfg, nargs, args);
    } else if (strcmp(cmd, "import") == 0) {
        status = cmd_import(&cfg, nargs, args);
    } else {
        if (nargs < 2 || strcmp(args[0], "import") != 0)
            status = fail_usage("areas: expected \"areas import FILE.csv...\"");
        else if (areas_import(cfg.database_url, args + 1, nargs - 1, stdout, err, sizeof err) < 0) {
            fprintf(stderr, "consultd: areas import: %s\n", err);
            status = 1;
        } else
            status = 0;
    }
    config_free(&cfg);
    return status;
}
