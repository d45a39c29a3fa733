-- consultd 006: the fatigue queue is filled by the write statement itself.
--
-- Every new consultation was queued by a PL/pgSQL trigger, and the queue row's
-- foreign key then locked the consultation row it had just inserted: a trigger
-- call, a key check and a lock record in the WAL on every write. The insert
-- statement (SQL_CONSULTATION_INSERT_CHECKED) now adds the queue row in the
-- same statement, so in the same transaction as before. Consultations are
-- never deleted, and the fatigue watch joins the queue to them, so the key
-- guarded nothing. Edits stay queued by the update trigger: they are rare.
ALTER TABLE fatigue_pending DROP CONSTRAINT fatigue_pending_consultation_id_fkey;
DROP TRIGGER consultations_fatigue_new ON consultations;
