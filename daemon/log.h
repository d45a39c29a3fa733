/* log.h - one line per event on stderr (journald), as text or JSON.
 *
 * The log settings are process-wide (set once at start-up and on reload);
 * everything else lives in the server context. */
#ifndef CONSULTD_LOG_H
#define CONSULTD_LOG_H

#include <stdbool.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_level_parse(const char *s);
/* Sets the process-wide threshold and format (text or one JSON object a line). */
void log_setup(log_level min, bool json);
/* true when a message of level would be written. */
bool log_enabled(log_level level);

/* Writes one line (the message printf-formatted; in JSON escaped into "msg")
 * with a UTC timestamp and the level, when level is enabled. Errors writing
 * stderr are ignored. */
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The access line for one HTTP request. org may be NULL (unauthenticated). */
void log_access(const char *request_id, const char *method, const char *route, int status,
                double duration_ms, const char *org);

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
