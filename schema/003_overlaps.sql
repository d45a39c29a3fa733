-- consultd 003: the overlap engine, the outreach gate.

-- Every area the consultation touches: its areas and all their ancestors,
-- as the area register said when it was written (used by the overlap check).
ALTER TABLE consultations
    ADD COLUMN area_scope text[] NOT NULL DEFAULT '{}',
    ADD COLUMN outreach_at timestamptz,
    ADD COLUMN outreach_override_reason text;

-- Blocking keys: hash(kind, area, month) -> consultation. A write probes the
-- keys that any overlapping consultation must have stored (see overlap.h),
-- so the check costs the same whatever the size of the register.
-- A derived index kept by the statements that write consultations (consultations
-- are never deleted, only cancelled, which drops their keys): no foreign key, whose
-- check per key row cost 14% of write throughput.
CREATE TABLE consultation_keys (
    key              bigint NOT NULL,
    consultation_id  uuid NOT NULL,
    PRIMARY KEY (key, consultation_id)
);
CREATE INDEX consultation_keys_consultation ON consultation_keys (consultation_id);

-- Each pair once: consultation_a < consultation_b.
CREATE TABLE overlap_pairs (
    id                 uuid PRIMARY KEY,
    consultation_a     uuid NOT NULL REFERENCES consultations (id),
    consultation_b     uuid NOT NULL REFERENCES consultations (id),
    score              numeric(3, 2) NOT NULL CHECK (score BETWEEN 0 AND 1),
    level              text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    reasons            jsonb NOT NULL,
    explanation        text NOT NULL,
    same_organisation  boolean NOT NULL,
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'acknowledged', 'coordinated', 'dismissed', 'resolved')),
    note               text,
    version            integer NOT NULL DEFAULT 1,
    detected_at        timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (consultation_a < consultation_b),
    UNIQUE (consultation_a, consultation_b)
);
CREATE INDEX overlap_pairs_b ON overlap_pairs (consultation_b);
CREATE INDEX overlap_pairs_status ON overlap_pairs (status, id);

-- The other side of an overlap, as responses summarise it.
CREATE FUNCTION consultation_summary(id uuid) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT json_build_object(
                'id', c.id, 'title', c.title,
                'organisation', json_build_object('id', o.id, 'name', o.name),
                'fieldwork', json_build_object('start', c.fieldwork_start, 'end', c.fieldwork_end),
                'status', c.status)
            FROM consultations c JOIN organisations o ON o.id = c.organisation_id WHERE c.id = $1);

CREATE FUNCTION overlap_json(o overlap_pairs) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', o.id,
        'consultations', json_build_array(o.consultation_a, o.consultation_b),
        'score', o.score,
        'level', o.level,
        'same_organisation', o.same_organisation,
        'reasons', o.reasons,
        'explanation', o.explanation,
        'status', o.status,
        'note', o.note,
        'version', o.version,
        'detected_at', rfc3339(o.detected_at),
        'updated_at', rfc3339(o.updated_at));

-- An overlap seen from one of its consultations: with the other one summarised.
-- Built in one json_build_object (no re-parsing of overlap_json): it is
-- returned for every overlap a write finds.
CREATE FUNCTION overlap_json_for(o overlap_pairs, me uuid) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', o.id,
        'consultations', json_build_array(o.consultation_a, o.consultation_b),
        'score', o.score,
        'level', o.level,
        'same_organisation', o.same_organisation,
        'reasons', o.reasons,
        'explanation', o.explanation,
        'status', o.status,
        'note', o.note,
        'version', o.version,
        'detected_at', rfc3339(o.detected_at),
        'updated_at', rfc3339(o.updated_at),
        'other', consultation_summary(
            CASE WHEN o.consultation_a = me THEN o.consultation_b ELSE o.consultation_a END));

-- Takes the write's advisory locks in the order given (sorted by the caller):
-- exclusive on its own (area, month) buckets, shared on its ancestors'.
CREATE FUNCTION lock_buckets(keys bigint[], exclusive boolean[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        IF exclusive[i] THEN
            PERFORM pg_advisory_xact_lock(keys[i]);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(keys[i]);
        END IF;
    END LOOP;
    RETURN coalesce(array_length(keys, 1), 0);
END $$;

-- The engine's view of a consultation (overlap_side in overlap.h).
CREATE FUNCTION overlap_side_json(c consultations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', c.id, 'organisation', c.organisation_id,
        'title', c.title, 'areas', c.areas, 'scope', c.area_scope,
        'topics', c.topics, 'communities', c.communities,
        'start', c.fieldwork_start, 'end', c.fieldwork_end,
        'engagement_level', c.engagement_level);

CREATE INDEX consultations_area_scope ON consultations USING gin (area_scope);

-- The API representation now says whether and how outreach was sent.
CREATE OR REPLACE FUNCTION consultation_json(c consultations) RETURNS json
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
        'outreach', CASE WHEN c.outreach_at IS NULL THEN NULL
                         ELSE json_build_object('sent_at', rfc3339(c.outreach_at),
                                                'override_reason', c.outreach_override_reason) END,
        'version', c.version,
        'created_at', rfc3339(c.created_at),
        'updated_at', rfc3339(c.updated_at));
