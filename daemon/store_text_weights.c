/* store_text_weights.c - SQL for the word weights of text similarity. */
#include "store_text_weights.h"

#include "db.h"
#include "job_text_weights.h"

const char SQL_TEXT_WEIGHTS_SNAPSHOT[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

const char SQL_TEXT_WEIGHTS_GET[] = "SELECT generation, documents FROM text_weights";

const char SQL_TEXT_WEIGHTS_WORDS[] = "SELECT word, df FROM text_word_df";

const char SQL_TEXT_WEIGHTS_CHECK[] =
    "SELECT generation, computed_at <= now() - make_interval(secs => $1::integer) FROM text_weights";

const char SQL_TEXT_WEIGHTS_TRY_LOCK[] = "SELECT pg_try_advisory_xact_lock($1::bigint)";

const char SQL_TEXT_WEIGHTS_DUE[] =
    "SELECT NOT EXISTS (SELECT 1 FROM text_weights"
    " WHERE computed_at > now() - make_interval(secs => $1::integer))";

const char SQL_TEXT_WEIGHTS_BATCH[] =
    "SELECT id, title, summary FROM consultations WHERE ($1::uuid IS NULL OR id > $1::uuid)"
    " ORDER BY id LIMIT " DB_STR(TEXT_WEIGHTS_BATCH);

const char SQL_TEXT_WEIGHTS_CLEAR_WORDS[] = "DELETE FROM text_word_df";

const char SQL_TEXT_WEIGHTS_ADD_WORDS[] =
    "INSERT INTO text_word_df (word, df) SELECT * FROM unnest($1::text[], $2::integer[])";

const char SQL_TEXT_WEIGHTS_PUT[] =
    "INSERT INTO text_weights (generation, documents, words) VALUES (1, $1, $2)"
    " ON CONFLICT (singleton) DO UPDATE SET generation = text_weights.generation + 1,"
    " documents = excluded.documents, words = excluded.words, computed_at = now()"
    " RETURNING generation";
