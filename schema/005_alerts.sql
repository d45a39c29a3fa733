-- consultd 005: alerts. Subscriptions, the outbox of events, one delivery per
-- (event, subscription) and a log of every attempt.
--
-- An event row is written in the same transaction as the change that caused
-- it, so a committed overlap always has its alert. The dispatcher of any
-- daemon instance fans new events out to the subscriptions whose filters they
-- pass (freezing the body it will send), then claims due deliveries with a
-- short lease that it commits before any HTTP call.

CREATE TABLE subscriptions (
    id                 uuid PRIMARY KEY,
    organisation_id    uuid NOT NULL REFERENCES organisations (id),
    url                text,
    email              text,
    format             text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack')),
    events             text[] NOT NULL,
    -- filters as given, and what they match: the areas' ancestors (a subscription to
    -- a ward hears of a district-wide consultation) and the terms with their parents
    -- and children (as the overlap rules treat them)
    areas              text[] NOT NULL DEFAULT '{}',
    area_ancestors     text[] NOT NULL DEFAULT '{}',
    topics             text[] NOT NULL DEFAULT '{}',
    match_topics       text[] NOT NULL DEFAULT '{}',
    communities        text[] NOT NULL DEFAULT '{}',
    match_communities  text[] NOT NULL DEFAULT '{}',
    min_level          text NOT NULL DEFAULT 'low' CHECK (min_level IN ('low', 'medium', 'high')),
    secret             text NOT NULL,
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    disabled_reason    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((url IS NULL) <> (email IS NULL))
);
CREATE INDEX subscriptions_organisation ON subscriptions (organisation_id, id);

CREATE TABLE alert_events (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),   -- the webhook-id
    type             text NOT NULL
                     CHECK (type IN ('overlap.detected', 'overlap.updated', 'fatigue.exceeded', 'ping')),
    overlap_id       uuid,          -- overlap.*: the overlap
    subscription_id  uuid,          -- ping: the one subscription it is for
    data             json,          -- fatigue.exceeded, ping: the event's data
    area             text,          -- fatigue.exceeded: for the filters
    community        text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    fanned_out       boolean NOT NULL DEFAULT false
);
CREATE INDEX alert_events_pending ON alert_events (created_at) WHERE NOT fanned_out;

CREATE TABLE deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id         uuid NOT NULL REFERENCES alert_events (id),
    subscription_id  uuid NOT NULL REFERENCES subscriptions (id),
    payload          text NOT NULL,     -- the standard body, frozen at fan-out
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription ON deliveries (subscription_id);

CREATE TABLE delivery_attempts (
    id               bigserial PRIMARY KEY,
    delivery_id      uuid NOT NULL REFERENCES deliveries (id),
    subscription_id  uuid NOT NULL,
    attempt          integer NOT NULL,
    attempted_at     timestamptz NOT NULL DEFAULT now(),
    duration_ms      integer NOT NULL,
    status_code      integer,
    error            text,
    outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'disabled')),
    next_attempt_at  timestamptz
);
CREATE INDEX delivery_attempts_subscription ON delivery_attempts (subscription_id, id);

-- fatigue.exceeded is raised once per (area, community, month) bucket.
CREATE TABLE fatigue_alerted (
    area       text NOT NULL,
    community  text NOT NULL,
    month      date NOT NULL,
    alerted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, community, month)
);

-- Dispatchers are woken by the daemon that wrote an event (NOTIFY
-- consultd_alerts, sent after its commit: see dispatcher.h) and by polling.

CREATE FUNCTION level_rank(level text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_position(ARRAY['low', 'medium', 'high'], level);

-- Does an event with these properties pass the subscription's filters?
CREATE FUNCTION subscription_matches(s subscriptions, level text, scope text[], areas text[],
                                     topics text[], communities text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (level IS NULL OR level_rank(level) >= level_rank(s.min_level))
       AND (cardinality(s.areas) = 0 OR s.areas && scope OR s.area_ancestors && areas)
       AND (cardinality(s.match_topics) = 0 OR s.match_topics && topics)
       AND (cardinality(s.match_communities) = 0 OR s.match_communities && communities);

CREATE FUNCTION subscription_json(s subscriptions) RETURNS json
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
        'status', s.status,
        'disabled_reason', s.disabled_reason,
        'created_at', rfc3339(s.created_at),
        'updated_at', rfc3339(s.updated_at));

-- Consultations whose asks changed and have not yet been checked for
-- fatigue.exceeded. Filled by the trigger below in the transaction of the
-- write, so a check is never lost; the fatigue watch claims rows with
-- FOR UPDATE SKIP LOCKED and deletes each in the transaction that records
-- its events. A consultation edited twice is queued twice and checked twice:
-- fatigue_alerted keeps the events to one per bucket.
CREATE TABLE fatigue_pending (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id uuid NOT NULL REFERENCES consultations (id) ON DELETE CASCADE
);

CREATE FUNCTION fatigue_enqueue() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fatigue_pending (consultation_id) VALUES (NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER consultations_fatigue_new AFTER INSERT ON consultations
    FOR EACH ROW WHEN (NEW.status <> 'cancelled') EXECUTE FUNCTION fatigue_enqueue();
CREATE TRIGGER consultations_fatigue_moved AFTER UPDATE ON consultations
    FOR EACH ROW WHEN (NEW.status <> 'cancelled' AND
        (OLD.areas, OLD.communities, OLD.fieldwork_start, OLD.fieldwork_end, OLD.status)
        IS DISTINCT FROM (NEW.areas, NEW.communities, NEW.fieldwork_start, NEW.fieldwork_end, NEW.status))
    EXECUTE FUNCTION fatigue_enqueue();
