-- consultd 001: the register's core tables.
-- Applied by `consultd migrate` inside one transaction, under an advisory lock.

CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL DEFAULT 'other'
                CHECK (kind IN ('council', 'nhs', 'police', 'housing', 'vcse', 'other')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys: only a SHA-256 of the secret part is stored; the token names the key id.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    role             text NOT NULL CHECK (role IN ('partner', 'coordinator', 'admin')),
    label            text,
    secret_hash      bytea NOT NULL CHECK (length(secret_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);
CREATE INDEX api_keys_organisation ON api_keys (organisation_id);

-- The area register, imported from ONS lookup files.
CREATE TABLE areas (
    code        text PRIMARY KEY CHECK (code ~ '^[EWSNK][0-9]{8}$'),
    name        text NOT NULL,
    level       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE area_parents (
    code    text NOT NULL REFERENCES areas (code) ON DELETE CASCADE,
    parent  text NOT NULL REFERENCES areas (code) ON DELETE CASCADE,
    PRIMARY KEY (code, parent),
    CHECK (code <> parent)
);
CREATE INDEX area_parents_parent ON area_parents (parent);
-- Transitive closure of area_parents, rebuilt by every import: a ward's rows
-- name its district, county and region.
CREATE TABLE area_ancestors (
    code      text NOT NULL,
    ancestor  text NOT NULL,
    PRIMARY KEY (code, ancestor)
);
CREATE INDEX area_ancestors_ancestor ON area_ancestors (ancestor, code);

-- Controlled vocabularies (topics, communities, methods); seeded by 002.
CREATE TABLE vocab_terms (
    vocabulary  text NOT NULL CHECK (vocabulary IN ('topics', 'communities', 'methods')),
    code        text NOT NULL CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    label       text NOT NULL,
    parent      text,
    synonyms    text[] NOT NULL DEFAULT '{}',
    position    integer NOT NULL,
    PRIMARY KEY (vocabulary, code),
    FOREIGN KEY (vocabulary, parent) REFERENCES vocab_terms (vocabulary, code)
);

CREATE TABLE consultations (
    id                     uuid PRIMARY KEY,          -- UUIDv7: ordered by creation
    organisation_id        uuid NOT NULL REFERENCES organisations (id),
    external_ref           text,
    title                  text NOT NULL,
    summary                text NOT NULL DEFAULT '',
    topics                 text[] NOT NULL DEFAULT '{}',
    communities            text[] NOT NULL DEFAULT '{}',
    inferred               boolean NOT NULL DEFAULT false,
    areas                  text[] NOT NULL,
    fieldwork_start        date NOT NULL,
    fieldwork_end          date NOT NULL,
    methods                text[] NOT NULL DEFAULT '{}',
    engagement_level       text NOT NULL DEFAULT 'consult'
                           CHECK (engagement_level IN ('inform', 'consult', 'involve', 'collaborate', 'empower')),
    expected_participants  integer CHECK (expected_participants >= 0),
    contact_name           text,
    contact_email          text,
    status                 text NOT NULL DEFAULT 'planned'
                           CHECK (status IN ('planned', 'in_field', 'closed', 'cancelled')),
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (fieldwork_end >= fieldwork_start)
);
CREATE UNIQUE INDEX consultations_external_ref
    ON consultations (organisation_id, external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX consultations_organisation ON consultations (organisation_id, id);
CREATE INDEX consultations_areas ON consultations USING gin (areas);
CREATE INDEX consultations_topics ON consultations USING gin (topics);
CREATE INDEX consultations_communities ON consultations USING gin (communities);
CREATE INDEX consultations_fieldwork ON consultations (fieldwork_start, fieldwork_end);
CREATE INDEX consultations_text
    ON consultations USING gin (to_tsvector('english', title || ' ' || summary));

-- Idempotency-Key replays: the first response, kept 24 hours.
CREATE TABLE idempotency_keys (
    organisation_id  uuid NOT NULL,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    status           integer NOT NULL,
    location         text,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- RFC 3339 UTC with whole seconds, as the API writes timestamps.
CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- The API representation of one consultation (key order as documented).
CREATE FUNCTION consultation_json(c consultations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', c.id,
        'organisation', (SELECT json_build_object('id', o.id, 'name', o.name)
                           FROM organisations o WHERE o.id = c.organisation_id),
        'title', c.title,
        'summary', c.summary,
        'topics', c.topics,
        'communities', c.communities,
        'inferred', c.inferred,
        'areas', c.areas,
        'fieldwork', json_build_object('start', c.fieldwork_start, 'end', c.fieldwork_end),
        'methods', c.methods,
        'engagement_level', c.engagement_level,
        'expected_participants', c.expected_participants,
        'contact', CASE WHEN c.contact_name IS NULL AND c.contact_email IS NULL THEN NULL
                        ELSE json_build_object('name', c.contact_name, 'email', c.contact_email) END,
        'external_ref', c.external_ref,
        'status', c.status,
        'version', c.version,
        'created_at', rfc3339(c.created_at),
        'updated_at', rfc3339(c.updated_at));
