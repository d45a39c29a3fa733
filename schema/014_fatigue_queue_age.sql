-- consultd 014: when each write joined the fatigue queue, so /metrics can say
-- how long the oldest has waited for its check (consultd_fatigue_queue_oldest_age_seconds),
-- as it does for the outbox and the re-check queue. Rows queued before this
-- migration count from now.

ALTER TABLE fatigue_pending ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now();
