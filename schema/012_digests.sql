-- consultd 012: alert digests. A subscription may gather its events into one
-- message per window (daily or weekly, at a time of day in Europe/London)
-- instead of one message per event.
--
-- Fan-out puts a digest subscription's events in digest_items (the body each
-- would have had, frozen like a delivery's) instead of deliveries; a high
-- overlap.detected that involves the subscriber's own organisation, and a
-- ping, still become deliveries at once (and are not repeated in the digest).
--
-- Windows follow each other: digest_last_end is where the open window starts,
-- digest_next_at the first scheduled time after it (computed by the daemon:
-- digest_schedule.c). Any instance closes a due window in one transaction:
-- it locks the subscription row (FOR NO KEY UPDATE SKIP LOCKED), takes (deletes)
-- every item whose event is older than the window's end, writes
-- the digest as an alert event and a delivery (the outbox: sent with retries,
-- at least once, under one webhook-id), records the window and moves
-- digest_last_end on. A crash before the commit leaves nothing; after it, the
-- dispatcher resends the same delivery. An empty window is recorded with no
-- event and still moves the start on.

ALTER TABLE subscriptions
    ADD COLUMN delivery        text NOT NULL DEFAULT 'immediate'
                               CHECK (delivery IN ('immediate', 'daily', 'weekly')),
    ADD COLUMN digest_time     text CHECK (digest_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    ADD COLUMN digest_day      text CHECK (digest_day IN ('monday', 'tuesday', 'wednesday', 'thursday',
                                                          'friday', 'saturday', 'sunday')),
    ADD COLUMN digest_last_end timestamptz,
    ADD COLUMN digest_next_at  timestamptz,
    ADD CHECK ((delivery = 'immediate') = (digest_time IS NULL)),
    ADD CHECK ((delivery = 'weekly') = (digest_day IS NOT NULL)),
    ADD CHECK ((delivery = 'immediate') = (digest_next_at IS NULL AND digest_last_end IS NULL));
CREATE INDEX subscriptions_digest_due ON subscriptions (digest_next_at)
    WHERE status = 'active' AND delivery <> 'immediate';

ALTER TABLE alert_events DROP CONSTRAINT alert_events_type_check;
ALTER TABLE alert_events ADD CONSTRAINT alert_events_type_check
    CHECK (type IN ('overlap.detected', 'overlap.updated', 'fatigue.exceeded', 'ping', 'digest'));

-- An event a digest subscription is to hear of in its next digest; deleted by
-- the transaction that puts it in one (the digest's delivery then holds it).
CREATE TABLE digest_items (
    subscription_id  uuid NOT NULL REFERENCES subscriptions (id),
    event_id         uuid NOT NULL REFERENCES alert_events (id),
    created_at       timestamptz NOT NULL,   -- the event's: which window it belongs to
    payload          text NOT NULL,          -- the event's body, frozen at fan-out
    PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX digest_items_window ON digest_items (subscription_id, created_at);

-- Every window closed, empty or not: one per (subscription, start), and
-- none ends where another ends, so two instances can never both close one.
CREATE TABLE digest_windows (
    subscription_id  uuid NOT NULL REFERENCES subscriptions (id),
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL,
    events           integer NOT NULL,
    event_id         uuid REFERENCES alert_events (id),   -- the digest sent; NULL for an empty window
    closed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, window_start),
    UNIQUE (subscription_id, window_end),
    CHECK (window_end > window_start)
);

CREATE OR REPLACE FUNCTION subscription_json(s subscriptions) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', s.id,
        'organisation', s.organisation_id,
        'url', s.url,
        'email', s.email,
        'format', s.format,
        'events', s.events,
        'filters', json_build_object('areas', s.areas, 'topics', s.topics,
                                     'communities', s.communities, 'min_level', s.min_level),
        'delivery', s.delivery,
        'digest_time', s.digest_time,
        'digest_day', s.digest_day,
        'next_digest_at', rfc3339(s.digest_next_at),
        'status', s.status,
        'disabled_reason', s.disabled_reason,
        'created_at', rfc3339(s.created_at),
        'updated_at', rfc3339(s.updated_at));
