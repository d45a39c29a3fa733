-- consultd 007: the area register's life: Welsh names, old codes, successions
-- between vintages, the reach every consultation's scope is built from, and
-- the queue of consultations to check again when the register changes.

-- Welsh names (ONS "…NMW" columns), searched and resolved like English ones.
ALTER TABLE areas ADD COLUMN name_cy text;

-- Old-style codes (ONS "…CDO" and "…CDH" columns, e.g. 00EB for Hartlepool):
-- another way to write the row's code.
CREATE TABLE area_aliases (
    alias  text PRIMARY KEY CHECK (alias <> '' AND alias = upper(alias)),
    code   text NOT NULL REFERENCES areas (code) ON DELETE CASCADE
);
CREATE INDEX area_aliases_code ON area_aliases (code);

-- Succession between two vintages of one geography (a LAD22CD,LAD23CD lookup):
-- code was replaced by successor. A code and its successors are one place for
-- overlaps and fatigue.
CREATE TABLE area_successions (
    code       text NOT NULL REFERENCES areas (code) ON DELETE CASCADE,
    successor  text NOT NULL REFERENCES areas (code) ON DELETE CASCADE,
    PRIMARY KEY (code, successor),
    CHECK (code <> successor)
);
CREATE INDEX area_successions_successor ON area_successions (successor);

-- What a consultation in one area reaches, rebuilt by every import: the area,
-- the areas it is one place with (successions, both ways, transitively), and
-- every ancestor of those, closed under both relations; sorted ("C" order),
-- without the area itself. A consultation's area_scope is its areas and their
-- reach. The daemon loads this table; it never computes the closure itself.
CREATE TABLE area_reach (
    code   text PRIMARY KEY REFERENCES areas (code) ON DELETE CASCADE,
    reach  text[] NOT NULL
);

-- Each change to the register bumps the generation. A daemon that wrote with
-- an older register than the database holds queues the write for a re-check.
CREATE TABLE area_register_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation  bigint NOT NULL DEFAULT 0,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO area_register_state DEFAULT VALUES;

-- Consultations to check again with the current register: filled in the
-- transaction that changes the register, drained by any instance
-- (FOR UPDATE SKIP LOCKED), a row deleted in the transaction that re-checks it.
CREATE TABLE recheck_pending (
    consultation_id  uuid PRIMARY KEY,
    generation       bigint NOT NULL,
    queued_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recheck_pending_queued ON recheck_pending (queued_at);

-- A register imported before this migration: its reach is its ancestors.
INSERT INTO area_reach (code, reach)
SELECT a.code, coalesce((SELECT array_agg(x.ancestor COLLATE "C" ORDER BY x.ancestor COLLATE "C")
                         FROM area_ancestors x WHERE x.code = a.code AND x.ancestor <> a.code), '{}')
FROM areas a;
