-- consultd 013: subscriptions that can be changed (PATCH /v1/subscriptions/{id}).
--
-- version counts the changes made to a subscription's settings (1 when
-- created, + 1 per PATCH); GET answers it as the ETag, and a PATCH names it in
-- If-Match, so two coordinators editing one subscription cannot overwrite each
-- other's change unseen. Closing a digest window moves next_digest_at on but
-- is not a change of settings: it leaves the version as it is.
--
-- Deleting a subscription now also deletes the events it held for its next
-- digest (digest_items); those left behind by earlier deletes go here.

ALTER TABLE subscriptions ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);

DELETE FROM digest_items i USING subscriptions s WHERE s.id = i.subscription_id AND s.status = 'deleted';

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
        'version', s.version,
        'created_at', rfc3339(s.created_at),
        'updated_at', rfc3339(s.updated_at));
