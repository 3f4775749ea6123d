-- The signed receipt log: one global sequence with a hash chain, appended in the receipt's own
-- transaction under a lock on the head row, so concurrent workflows can neither fork nor gap it.
ALTER TABLE receipts
  ADD COLUMN log_seq BIGINT UNIQUE,              -- position in the signed log (null: written unsigned)
  ADD COLUMN envelope_canonical TEXT;            -- the signed envelope's exact RFC 8785 bytes

CREATE TABLE receipt_log_head (
  id              SMALLINT PRIMARY KEY CHECK (id = 1),
  size            BIGINT NOT NULL,
  head_hash       TEXT,
  checkpointed_at TIMESTAMPTZ                    -- when the last checkpoint was issued
);
INSERT INTO receipt_log_head (id, size, head_hash, checkpointed_at) VALUES (1, 0, NULL, NULL);

-- Signed statements of (size, head hash): a verifier holding one detects a cut or rewritten tail.
CREATE TABLE receipt_checkpoints (
  size                 BIGINT PRIMARY KEY,
  head_hash            TEXT        NOT NULL,
  issued_at            TIMESTAMPTZ NOT NULL,
  checkpoint_canonical TEXT        NOT NULL
);

CREATE TRIGGER receipt_checkpoints_no_update_delete
  BEFORE UPDATE OR DELETE ON receipt_checkpoints
  FOR EACH ROW EXECUTE FUNCTION receipts_reject_change();

CREATE TRIGGER receipt_checkpoints_no_truncate
  BEFORE TRUNCATE ON receipt_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION receipts_reject_change();
