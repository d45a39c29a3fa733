/* test_files.h - reading the published files the unit tests run on. */
#ifndef CONSULTD_TEST_FILES_H
#define CONSULTD_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file at path, NUL-terminated (malloc'd, the caller frees), with
 * its length in *len; NULL when it cannot be read. */
static inline char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf) {
        fclose(f);
        return NULL;
    }
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

#endif
