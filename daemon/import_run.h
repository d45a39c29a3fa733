/* import_run.h - importing a CSV of consultations, row by row, on the event loop.
 *
 * Each data row becomes an internal POST or merge PATCH of /v1/consultations
 * run through the very handlers the API uses (api_consultations_write.c): the same
 * validation, vocabulary and area resolution, overlap check under the bucket
 * locks, alert outbox and dry run. A row is matched on its id column when it
 * has one, else on the caller's organisation and external_ref: no match is a
 * create, a match whose merged fields would be stored exactly as they are is
 * "unchanged" (nothing written), anything else an update (If-Match: the row's
 * version column, else the stored version). Each row is its own transaction,
 * so rows of one file overlap each other as if posted one by one, and one bad
 * row never stops the others.
 *
 * The file is read in slices of a few KiB and handled a batch of rows at a
 * time, a couple of rows in flight, the loop free between batches: other
 * requests go on during an import, and memory holds one batch plus the
 * answer. The whole file is checked (UTF-8, header, at least one row) before
 * the first row is written: a refused file stores nothing. */
#ifndef CONSULTD_IMPORT_RUN_H
#define CONSULTD_IMPORT_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "request.h"

typedef struct server server;

typedef struct import_caller {
    char org_id[UUID_STR_LEN];
    char key_id[UUID_STR_LEN];
    role role;
    char request_id[72];
} import_caller;

typedef struct import_outcome {
    int status;                 /* 200: imported (rows may have failed); 422: the file was refused;
                                   503: the closing flush failed (rows may be stored: import again) */
    /* 422 */
    const char *detail;         /* borrowed for the call */
    json_t *errors;             /* owned by the callback: [{"field", "message"}] */
    /* 200 */
    const char *text;           /* the answer, JSON (API.md section 8), borrowed for the call */
    size_t len;
    bool dry_run;
    long rows, created, updated, unchanged, failed;
} import_outcome;

typedef void (*import_done_fn)(void *arg, import_outcome *out);

/* Imports buf (len bytes of CSV; must stay valid until done is called) for
 * who. done is called exactly once, possibly before import_start returns;
 * the job frees itself after it. Out of memory is reported as a 422 whose
 * detail says so (nothing stored) or, once rows are under way, as failed rows. */
void import_start(server *srv, const import_caller *who, const char *buf, size_t len, bool dry_run,
                  import_done_fn done, void *arg);

#endif
