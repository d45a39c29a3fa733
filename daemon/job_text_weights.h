/* job_text_weights.h - the word weights of text similarity, kept in PostgreSQL
 * and mirrored in every instance.
 *
 * The table text_word_df (schema/011) holds the document frequency of every
 * stemmed word over the stored consultations (title and summary together,
 * counted by textsim.c, cancelled ones too: they are part of the register's
 * language), and text_weights the number of documents and a generation.
 *
 * A worker on the event loop, with its own pooled connection, checks every
 * TEXT_WEIGHTS_CHECK_S seconds (or overlap.text_weights_refresh_s when
 * shorter):
 *  - when the stored counts are older than overlap.text_weights_refresh_s (or
 *    absent), it recomputes them: in one transaction that holds a
 *    transaction-level advisory lock (pg_try_advisory_xact_lock, so one
 *    instance at a time; the others skip), it reads the register by primary
 *    key, TEXT_WEIGHTS_BATCH rows a query, counts in C, replaces the table and
 *    bumps the generation;
 *  - when the stored generation differs from the one it holds, it loads the
 *    table (one REPEATABLE READ transaction).
 * The loaded table replaces srv->text_weights, which the overlap check passes
 * to overlap_evaluate. Until a table is loaded srv->text_weights is NULL and
 * every word weighs 1. Failures are logged and retried on the next check. */
#ifndef CONSULTD_JOB_TEXT_WEIGHTS_H
#define CONSULTD_JOB_TEXT_WEIGHTS_H

#include "server.h"

#define TEXT_WEIGHTS_CHECK_S 10
#define TEXT_WEIGHTS_BATCH 250            /* rows read (and counted on the loop) per query: a few ms */
#define TEXT_WEIGHTS_LOCK 7405860311      /* advisory lock key of the recomputation */

typedef struct text_weights_worker text_weights_worker;

/* Creates the worker with its own one-connection pool and schedules its first
 * check shortly; NULL when out of memory. */
text_weights_worker *text_weights_start(server *srv);
/* Stops the timer, drops any work under way (its transaction is rolled back
 * with the pool's connection) and frees the worker. NULL is accepted. */
void text_weights_stop(text_weights_worker *w);

#endif
