-- consultd 004: a cheaper write path.
--
-- PostgreSQL inlines a SQL function into the calling query only when its body
-- is one expression without subqueries that calls nothing more volatile than
-- the function declares. Any other SQL function is run through the SQL-function
-- executor on every call, which reads its stored body back and plans it again:
-- that cost about a fifth of the server's time per POST /v1/consultations.
-- So: rfc3339 is declared STABLE (to_char is STABLE), and the documents are
-- built by functions that take their related rows as arguments; the write
-- statements join those rows themselves. The old one-argument functions remain
-- for the read paths and now delegate, so every document has one definition.

CREATE OR REPLACE FUNCTION rfc3339(t timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- The API representation of one consultation, given its organisation.
CREATE FUNCTION consultation_doc(c consultations, org organisations) RETURNS json
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
        'status', c.status,
        'outreach', CASE WHEN c.outreach_at IS NULL THEN NULL
                         ELSE json_build_object('sent_at', rfc3339(c.outreach_at),
                                                'override_reason', c.outreach_override_reason) END,
        'version', c.version,
        'created_at', rfc3339(c.created_at),
        'updated_at', rfc3339(c.updated_at));

CREATE OR REPLACE FUNCTION consultation_json(c consultations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT consultation_doc(c, o) FROM organisations o WHERE o.id = c.organisation_id);

-- The other side of an overlap, as responses summarise it, given its organisation.
CREATE FUNCTION consultation_summary_doc(c consultations, org organisations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', c.id, 'title', c.title,
        'organisation', json_build_object('id', org.id, 'name', org.name),
        'fieldwork', json_build_object('start', c.fieldwork_start, 'end', c.fieldwork_end),
        'status', c.status);

CREATE OR REPLACE FUNCTION consultation_summary(id uuid) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT consultation_summary_doc(c, o)
            FROM consultations c JOIN organisations o ON o.id = c.organisation_id WHERE c.id = $1);

-- An overlap seen from one of its consultations, given the other one's summary.
CREATE FUNCTION overlap_doc_for(o overlap_pairs, other json) RETURNS json
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
        'other', other);

CREATE OR REPLACE FUNCTION overlap_json_for(o overlap_pairs, me uuid) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN overlap_doc_for(o, consultation_summary(
        CASE WHEN o.consultation_a = me THEN o.consultation_b ELSE o.consultation_a END));

-- The bucket locks are taken by one plain statement (SQL_LOCK_BUCKETS in the
-- daemon): a PL/pgSQL loop cost an eighth of the write's server time.
DROP FUNCTION lock_buckets(bigint[], boolean[]);
