/* Text-similarity accuracy on the published regulations.gov docket pairs.
 *
 *   make build/release/text_accuracy && build/release/text_accuracy \
 *       ../shared/data/consultations/regulations_gov_docket_pairs_10k.tsv.gz
 *
 * The file is read as published (gzip, tab-separated label, id_a, id_b,
 * title_a, title_b; a title may contain a raw newline, so a record runs until
 * it has five fields). Prints precision and recall at several thresholds and
 * at the threshold the daemon uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "textsim.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s regulations_gov_docket_pairs_10k.tsv.gz\n", argv[0]);
        return 2;
    }
    gzFile f = gzopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1 << 22, len = 0;
    char *buf = malloc(cap);
    int n;
    while (buf && (n = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
        len += (size_t)n;
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
        }
    }
    gzclose(f);
    if (!buf)
        return 1;
    buf[len] = '\0';

    enum { MAXP = 20000 };
    static double score[MAXP];
    static int label[MAXP];
    int pairs = 0;
    char *rec = buf;
    int tabs = 0;
    for (char *p = buf; *p && pairs < MAXP; p++) {
        if (*p == '\t')
            tabs++;
        if (*p == '\n' && tabs >= 4) {
            *p = '\0';
            char *field[5];
            field[0] = rec;
            for (int i = 1; i < 5; i++) {
                field[i] = strchr(field[i - 1], '\t');
                *field[i]++ = '\0';
            }
            label[pairs] = field[0][0] == '1';
            score[pairs] = textsim(field[3], field[4]);
            pairs++;
            rec = p + 1;
            tabs = 0;
        }
    }
    printf("pairs: %d\n", pairs);
    printf("threshold precision recall\n");
    for (int t = 20; t <= 40; t += 1) {
        double th = t / 100.0;
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < pairs; i++) {
            int yes = score[i] >= th - 1e-12;
            tp += yes && label[i];
            fp += yes && !label[i];
            fn += !yes && label[i];
        }
        printf("%.2f%s %.3f %.3f\n", th, (t == (int)(TEXTSIM_THRESHOLD * 100 + 0.5)) ? "*" : " ",
               (double)tp / (tp + fp), (double)tp / (tp + fn));
    }
    free(buf);
    return 0;
}
