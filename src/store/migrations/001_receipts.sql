-- Receipts: one row per decision and per outcome of a governed action, append-only.
-- Unique per (idempotency key, kind): a repeated key can only ever find the first decision.
CREATE TABLE receipts (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  receipt_id      TEXT        NOT NULL UNIQUE,   -- sha256 of the canonical body
  kind            TEXT        NOT NULL CHECK (kind IN ('decision', 'outcome', 'override')),
  version         INTEGER     NOT NULL,          -- body format version (body.v)
  idempotency_key TEXT        NOT NULL,
  workflow_id     TEXT        NOT NULL,
  run_id          TEXT        NOT NULL,
  request_hash    TEXT        NOT NULL,
  surface         TEXT        NOT NULL,
  actor_id        TEXT        NOT NULL,
  action          TEXT        NOT NULL,
  outcome         TEXT        NOT NULL,          -- decision: PERMIT|DENY|SILENCE; outcome: succeeded|failed|skipped
  policy_digest   TEXT,                          -- null when no policy set could be loaded
  issued_at       TIMESTAMPTZ NOT NULL,          -- the workflow's clock
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  body            JSONB       NOT NULL,          -- the receipt body exactly as hashed
  body_canonical  TEXT        NOT NULL,          -- its RFC 8785 bytes, kept verbatim for verifiers
  envelope        JSONB,                         -- the signed envelope (signature, key id, chain), added by the signing issue
  request         JSONB,                         -- decision rows: the full ActionRequest, for replay
  CONSTRAINT receipts_one_per_key_and_kind UNIQUE (idempotency_key, kind)
);

CREATE INDEX receipts_surface_issued_at ON receipts (surface, issued_at);
CREATE INDEX receipts_issued_at ON receipts (issued_at);
CREATE INDEX receipts_recorded_at ON receipts (recorded_at);

-- Append-only: rows are never changed or removed, whoever asks.
CREATE FUNCTION receipts_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'receipts are append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER receipts_no_update_delete
  BEFORE UPDATE OR DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION receipts_reject_change();

CREATE TRIGGER receipts_no_truncate
  BEFORE TRUNCATE ON receipts
  FOR EACH STATEMENT EXECUTE FUNCTION receipts_reject_change();
