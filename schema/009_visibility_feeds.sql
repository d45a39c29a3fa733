-- consultd 009: plans published ahead: each consultation's visibility, the
-- calendar feeds organisations subscribe to, and the public documents.

-- partners (every authenticated organisation sees it) or public (also
-- published without authentication under /public/). IF NOT EXISTS: the CSV
-- import may have brought the column already.
ALTER TABLE consultations ADD COLUMN IF NOT EXISTS visibility text NOT NULL DEFAULT 'partners';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'consultations_visibility_check') THEN
        ALTER TABLE consultations ADD CONSTRAINT consultations_visibility_check
            CHECK (visibility IN ('partners', 'public'));
    END IF;
END $$;
-- The public routes read only public rows, by fieldwork.
CREATE INDEX consultations_public ON consultations (fieldwork_start, id) WHERE visibility = 'public';

-- The API representation of one consultation, given its organisation (as in
-- 004, with visibility).
CREATE OR REPLACE FUNCTION consultation_doc(c consultations, org organisations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', c.id,
        'organisation', json_build_object('id', org.id, 'name', org.name),
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
        'visibility', c.visibility,
        'status', c.status,
        'outreach', CASE WHEN c.outreach_at IS NULL THEN NULL
                         ELSE json_build_object('sent_at', rfc3339(c.outreach_at),
                                                'override_reason', c.outreach_override_reason) END,
        'version', c.version,
        'created_at', rfc3339(c.created_at),
        'updated_at', rfc3339(c.updated_at));

-- What /public/ publishes of a public consultation: no contact (its e-mail is
-- never public), no external reference, no outreach record. The open data
-- package (datapackage.json) describes these fields; keep them in step.
CREATE FUNCTION public_consultation_doc(c consultations, org organisations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', c.id,
        'organisation', json_build_object('id', org.id, 'name', org.name),
        'title', c.title,
        'summary', c.summary,
        'topics', c.topics,
        'communities', c.communities,
        'areas', c.areas,
        'fieldwork', json_build_object('start', c.fieldwork_start, 'end', c.fieldwork_end),
        'methods', c.methods,
        'engagement_level', c.engagement_level,
        'expected_participants', c.expected_participants,
        'status', c.status,
        'version', c.version,
        'created_at', rfc3339(c.created_at),
        'updated_at', rfc3339(c.updated_at));

-- Calendar feeds: an organisation's saved filters behind a secret address.
-- Only SHA-256 of the address's token is stored; the token is shown once.
CREATE TABLE calendar_feeds (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    label            text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    filters          jsonb NOT NULL,
    token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);
CREATE INDEX calendar_feeds_organisation ON calendar_feeds (organisation_id, id) WHERE revoked_at IS NULL;

CREATE FUNCTION calendar_feed_json(f calendar_feeds) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', f.id,
        'label', f.label,
        'filters', f.filters,
        'created_at', rfc3339(f.created_at));
