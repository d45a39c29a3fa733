/* log.c - text or JSON log lines on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
    log_level min;
    bool json;
} settings = { LOG_INFO, false };

static const char *level_names[] = { "debug", "info", "warn", "error" };

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void log_setup(log_level min, bool json)
{
    settings.min = min;
    settings.json = json;
}

bool log_enabled(log_level level)
{
    return level >= settings.min;
}

static void timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Writes s as the inside of a JSON string. */
static void json_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char ts[40];
    timestamp(ts, sizeof ts);

    flockfile(stderr);
    if (settings.json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[level]);
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %s %s\n", ts, level_names[level], msg);
    }
    funlockfile(stderr);
}

void log_access(const char *request_id, const char *method, const char *route, int status,
                double duration_ms, const char *org)
{
    if (!log_enabled(LOG_INFO))
        return;
    char ts[40];
    timestamp(ts, sizeof ts);
    flockfile(stderr);
    if (settings.json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"", ts);
        json_escape(stderr, request_id);
        fprintf(stderr, "\",\"method\":\"%s\",\"route\":\"", method);
        json_escape(stderr, route);
        fprintf(stderr, "\",\"status\":%d,\"duration_ms\":%.3f,\"organisation\":", status, duration_ms);
        if (org) {
            fputc('"', stderr);
            json_escape(stderr, org);
            fputc('"', stderr);
        } else {
            fputs("null", stderr);
        }
        fputs("}\n", stderr);
    } else {
        fprintf(stderr, "%s info request id=%s method=%s route=%s status=%d duration_ms=%.3f org=%s\n",
                ts, request_id, method, route, status, duration_ms, org ? org : "-");
    }
    funlockfile(stderr);
}
