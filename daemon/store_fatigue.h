/* store_fatigue.h - SQL for the fatigue queue (job_fatigue.h). Each is run
 * as a prepared statement under the name job_fatigue.c gives it. */
#ifndef CONSULTD_STORE_FATIGUE_H
#define CONSULTD_STORE_FATIGUE_H

/* No parameters. Locks the oldest FATIGUE_WATCH_CLAIM queued checks (FOR
 * UPDATE SKIP LOCKED) and returns (queue id, consultation id,
 * overlap_side_json, status), oldest first. */
extern const char SQL_FATIGUE_CLAIM[];
/* $1 blocking keys (bigint[] literal), $2 and $3 the first and last day
 * (date) a row's fieldwork must reach, $4 the communities a row must share
 * one of (text[] literal, or null for any). Returns (a JSON object with what
 * counting needs: id, organisation, areas, scope, communities, start, end;
 * title and topics empty) for each live consultation under one of the keys,
 * at most FATIGUE_WATCH_MAX_ROWS rows. */
extern const char SQL_FATIGUE_ROWS[];
/* $1 a JSON array of exceeded buckets {area, community, month (YYYY-MM),
 * count, max_asks, window_days, consultation, n}, $2 a JSON array of the queue
 * ids to dequeue: records each bucket not alerted before and adds its
 * fatigue.exceeded event. Returns (events added). */
extern const char SQL_FATIGUE_RECORD[];

#endif
