/* Generates realistic stored consultations for the overlap benchmark, as
 * PostgreSQL COPY text: real ward codes (with their ancestors from the area
 * register), real titles, vocabulary terms, fieldwork windows spread over three
 * years (2027-2029). Blocking keys and area scopes come from the daemon's own code.
 *
 *   gen N SEED areas.tsv titles.txt topics.txt communities.txt orgs.txt OUT.consultations OUT.keys
 *
 * With GEN_PLANNED=P in the environment only P rows are planned in those three
 * years and the other N - P are history, spread over the twenty years before
 * (2007-2026): a register that grew by keeping its past, not by asking the same
 * places more often.
 *
 * areas.tsv: code TAB level TAB ancestors-as-JSON-array (wards are used). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consultation.h"
#include "ids.h"
#include "overlap.h"

typedef struct lines {
    char **v;
    size_t n;
} lines;

static int read_lines(const char *path, lines *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char buf[8192];
    size_t cap = 0;
    out->n = 0;
    out->v = NULL;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (!buf[0])
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 1024;
            out->v = realloc(out->v, cap * sizeof *out->v);
        }
        out->v[out->n++] = strdup(buf);
    }
    fclose(f);
    return out->n ? 0 : -1;
}

static unsigned long long rng_state;
static unsigned long long rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
#define PICK(l) ((l).v[rnd() % (l).n])

static void copy_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '\t')
            fputc('\\', f);
        fputc(*s, f);
    }
}

int main(int argc, char **argv)
{
    if (argc != 10) {
        fprintf(stderr, "usage: %s N SEED areas.tsv titles.txt topics.txt communities.txt orgs.txt OUT.c OUT.k\n",
                argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    rng_state = (unsigned long long)atoll(argv[2]) * 2654435761ULL + 1;
    lines area_rows, titles, topics, comms, orgs;
    if (read_lines(argv[3], &area_rows) || read_lines(argv[4], &titles) || read_lines(argv[5], &topics) ||
        read_lines(argv[6], &comms) || read_lines(argv[7], &orgs))
        return 1;
    /* wards and their ancestors */
    lines wards = { malloc(area_rows.n * sizeof(char *)), 0 };
    char **anc = malloc(area_rows.n * sizeof(char *));
    for (size_t i = 0; i < area_rows.n; i++) {
        char *code = area_rows.v[i], *level = strchr(code, '\t');
        if (!level)
            continue;
        *level++ = '\0';
        char *a = strchr(level, '\t');
        if (!a)
            continue;
        *a++ = '\0';
        if (strcmp(level, "ward") == 0) {
            anc[wards.n] = a;
            wards.v[wards.n++] = code;
        }
    }
    FILE *fc = fopen(argv[8], "w"), *fk = fopen(argv[9], "w");
    if (!fc || !fk || !wards.n)
        return 1;
    long base, past;
    date_parse("2027-01-01", &base);
    date_parse("2007-01-01", &past);
    const char *planned_env = getenv("GEN_PLANNED");
    long planned = planned_env ? atol(planned_env) : n;
    static const char *levels[] = { "inform", "consult", "consult", "involve", "collaborate" };
    for (long i = 0; i < n; i++) {
        size_t w = rnd() % wards.n;
        const char *ward = wards.v[w];
        json_t *scope = json_loads(anc[w], 0, NULL);
        if (!json_is_array(scope))
            scope = json_array();
        json_array_append_new(scope, json_string(ward));
        long start = i < planned ? base + (long)(rnd() % (3 * 365)) : past + (long)(rnd() % (base - past - 90));
        long end = start + 14 + (long)(rnd() % 60);
        char s[11], e[11], id[UUID_STR_LEN];
        overlap_iso_date(start, s);
        overlap_iso_date(end, e);
        unsigned char r10[10];
        for (int k = 0; k < 10; k++)
            r10[k] = (unsigned char)rnd();
        uuid7_format(1700000000000ULL + (unsigned long long)i, r10, id);
        const char *topic = PICK(topics), *comm = PICK(comms), *org = PICK(orgs), *title = PICK(titles);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:[s], s:O, s:[s], s:[s], s:s, s:s, s:s}", "id", id, "organisation",
                                org, "title", title, "areas", ward, "scope", scope, "topics", topic, "communities",
                                comm, "start", s, "end", e, "engagement_level", levels[rnd() % 5]);
        overlap_side side;
        if (!doc || overlap_side_init(&side, doc) < 0)
            return 1;
        size_t nk;
        int64_t *keys = overlap_keys(&side, &nk);
        /* id, organisation_id, title, topics, communities, areas, fieldwork_start, fieldwork_end,
         * engagement_level, area_scope */
        fprintf(fc, "%s\t%s\t", id, org);
        copy_text(fc, title);
        static const char *names[] = { "inform", "consult", "involve", "collaborate", "empower" };
        fprintf(fc, "\t{%s}\t{%s}\t{%s}\t%s\t%s\t%s\t{", topic, comm, ward, s, e, names[side.engagement]);
        for (size_t k = 0; k < json_array_size(scope); k++)
            fprintf(fc, "%s%s", k ? "," : "", json_string_value(json_array_get(scope, k)));
        fputs("}\n", fc);
        for (size_t k = 0; k < nk; k++)
            fprintf(fk, "%lld\t%s\n", (long long)keys[k], id);
        free(keys);
        overlap_side_clear(&side);
        json_decref(doc);
        json_decref(scope);
    }
    fclose(fc);
    fclose(fk);
    return 0;
}
