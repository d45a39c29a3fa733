-- consultd 011: word weights for text similarity, and summaries in the
-- engine's view of a consultation.
--
-- text_word_df holds, for each stemmed word (daemon/textsim.c), how many
-- stored consultations (title and summary together) contain it; text_weights
-- holds how many were counted, when, and a generation that every daemon
-- instance compares with the table it has loaded. One instance at a time
-- recomputes both (under an advisory lock), every overlap.text_weights_refresh_s.

CREATE TABLE text_word_df (
    word text PRIMARY KEY,
    df   integer NOT NULL CHECK (df > 0)
);

CREATE TABLE text_weights (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation  bigint NOT NULL,
    documents   integer NOT NULL CHECK (documents >= 0),
    words       integer NOT NULL CHECK (words >= 0),
    computed_at timestamptz NOT NULL DEFAULT now()
);

-- Candidates carry their summary, so text similarity can use it when both
-- sides have one.
CREATE OR REPLACE FUNCTION overlap_side_json(c consultations) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN json_build_object(
        'id', c.id, 'organisation', c.organisation_id,
        'title', c.title, 'summary', c.summary, 'areas', c.areas, 'scope', c.area_scope,
        'topics', c.topics, 'communities', c.communities,
        'start', c.fieldwork_start, 'end', c.fieldwork_end,
        'engagement_level', c.engagement_level);
