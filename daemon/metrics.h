/* metrics.h - counters and histograms rendered in Prometheus text format
 * (pure: the caller owns the metrics struct and passes in every observation).
 * Route names are static strings from the route table. */
#ifndef CONSULTD_METRICS_H
#define CONSULTD_METRICS_H

#include <stddef.h>

#define METRICS_NBUCKETS 12

typedef struct metrics_series {
    char method[8];
    const char *route;
    int status;
    unsigned long count;
} metrics_series;

typedef struct metrics_hist {
    const char *route;
    unsigned long buckets[METRICS_NBUCKETS]; /* cumulative at render time */
    unsigned long count;
    double sum;
} metrics_hist;

typedef struct metrics {
    metrics_series *series;
    size_t nseries, capseries;
    metrics_hist *hists;
    size_t nhists, caphists;
    unsigned long accept_errors;   /* accept() failures (EMFILE and the like) */
    unsigned long rate_limited;    /* requests refused 429 */
    unsigned long calendar_events_rendered; /* calendar events rendered (not put together from kept ones) */
} metrics;

/* Counts one answered request: method (copied, at most 7 characters),
 * route (borrowed: a static string from the route table), status, and
 * duration in seconds. When memory runs out the observation is dropped. */
void metrics_http(metrics *m, const char *method, const char *route, int status, double seconds);
/* Appends the HTTP metrics in exposition format to *buf (malloc'd, grown as
 * metrics_appendf does). */
void metrics_render_http(const metrics *m, char **buf, size_t *len, size_t *cap);
/* Frees what m holds (not m itself). */
void metrics_free(metrics *m);

/* printf onto *buf (malloc'd or NULL, *len bytes used, *cap allocated),
 * growing it and keeping it NUL-terminated; the caller frees *buf. When
 * memory runs out the text is dropped, and *buf is left as it was. */
void metrics_appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
