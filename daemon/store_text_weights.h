/* store_text_weights.h - SQL for the word weights of text similarity
 * (job_text_weights.h). */
#ifndef CONSULTD_STORE_TEXT_WEIGHTS_H
#define CONSULTD_STORE_TEXT_WEIGHTS_H

/* No parameters. Opens the read-only, repeatable-read transaction the two
 * reads below share, so the words match the generation. */
extern const char SQL_TEXT_WEIGHTS_SNAPSHOT[];
/* No parameters. Returns (generation, documents), or no row before the first count. */
extern const char SQL_TEXT_WEIGHTS_GET[];
/* No parameters. Returns (word, df), every stored word. */
extern const char SQL_TEXT_WEIGHTS_WORDS[];
/* $1 refresh interval in seconds. Returns (generation, true when computed
 * $1 or more seconds ago), or no row before the first count. */
extern const char SQL_TEXT_WEIGHTS_CHECK[];
/* $1 the lock key (TEXT_WEIGHTS_LOCK). Returns (true when this transaction
 * took the advisory lock, false when another holds it). */
extern const char SQL_TEXT_WEIGHTS_TRY_LOCK[];
/* $1 refresh interval in seconds. Returns (true when no count is younger
 * than $1 seconds). Run after SQL_TEXT_WEIGHTS_TRY_LOCK as a statement of its
 * own, so its snapshot follows the lock. */
extern const char SQL_TEXT_WEIGHTS_DUE[];
/* $1 the last id read (uuid, or null to start). Returns (id, title, summary)
 * of the next TEXT_WEIGHTS_BATCH consultations by primary key. */
extern const char SQL_TEXT_WEIGHTS_BATCH[];
/* No parameters. Deletes every stored word count. */
extern const char SQL_TEXT_WEIGHTS_CLEAR_WORDS[];
/* $1 words (text[] literal), $2 their document frequencies (integer[]
 * literal, same order and length). */
extern const char SQL_TEXT_WEIGHTS_ADD_WORDS[];
/* $1 documents counted, $2 distinct words: stores the count as the next
 * generation (1 for the first). Returns (generation). */
extern const char SQL_TEXT_WEIGHTS_PUT[];

#endif
