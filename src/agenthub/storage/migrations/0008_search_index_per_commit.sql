-- Messages are added to the full-text index once per transaction (one INSERT ... SELECT over the new rows,
-- run just before COMMIT) instead of by a trigger per row: a fifth of the cost per message.
DROP TRIGGER messages_fts_insert;
