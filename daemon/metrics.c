/* metrics.c - HTTP request counters and latency histograms. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_bounds[METRICS_NBUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};

void metrics_http(metrics *m, const char *method, const char *route, int status, double seconds)
{
    metrics_series *s = NULL;
    for (size_t i = 0; i < m->nseries; i++)
        if (m->series[i].route == route && m->series[i].status == status && strcmp(m->series[i].method, method) == 0)
            s = &m->series[i];
    if (!s) {
        if (m->nseries == m->capseries) {
            size_t cap = m->capseries ? m->capseries * 2 : 32;
            metrics_series *n = realloc(m->series, cap * sizeof *n);
            if (!n)
                return;
            m->series = n;
            m->capseries = cap;
        }
        s = &m->series[m->nseries++];
        snprintf(s->method, sizeof s->method, "%s", method);
        s->route = route;
        s->status = status;
        s->count = 0;
    }
    s->count++;

    metrics_hist *h = NULL;
    for (size_t i = 0; i < m->nhists; i++)
        if (m->hists[i].route == route)
            h = &m->hists[i];
    if (!h) {
        if (m->nhists == m->caphists) {
            size_t cap = m->caphists ? m->caphists * 2 : 16;
            metrics_hist *n = realloc(m->hists, cap * sizeof *n);
            if (!n)
                return;
            m->hists = n;
            m->caphists = cap;
        }
        h = &m->hists[m->nhists++];
        memset(h, 0, sizeof *h);
        h->route = route;
    }
    for (int b = 0; b < METRICS_NBUCKETS; b++)
        if (seconds <= bucket_bounds[b]) {
            h->buckets[b]++;
            break;
        }
    h->count++;
    h->sum += seconds;
}

void metrics_appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = *cap - *len;
        int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (*buf && (size_t)n < room) {
            *len += (size_t)n;
            return;
        }
        size_t ncap = *cap ? *cap * 2 : 4096;
        while (ncap < *len + (size_t)n + 1)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return;
        *buf = nb;
        *cap = ncap;
    }
}

void metrics_render_http(const metrics *m, char **buf, size_t *len, size_t *cap)
{
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_http_requests_total HTTP requests answered, by method, route and status.\n"
                    "# TYPE consultd_http_requests_total counter\n");
    for (size_t i = 0; i < m->nseries; i++)
        metrics_appendf(buf, len, cap, "consultd_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %lu\n",
                        m->series[i].method, m->series[i].route, m->series[i].status, m->series[i].count);
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_http_request_duration_seconds Time from request to reply, by route.\n"
                    "# TYPE consultd_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->nhists; i++) {
        const metrics_hist *h = &m->hists[i];
        unsigned long cum = 0;
        for (int b = 0; b < METRICS_NBUCKETS; b++) {
            cum += h->buckets[b];
            metrics_appendf(buf, len, cap, "consultd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
                            h->route, bucket_bounds[b], cum);
        }
        metrics_appendf(buf, len, cap,
                        "consultd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n"
                        "consultd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                        "consultd_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
                        h->route, h->count, h->route, h->sum, h->route, h->count);
    }
}

void metrics_free(metrics *m)
{
    free(m->series);
    free(m->hists);
    memset(m, 0, sizeof *m);
}
