-- Signed policy bundles and the log of which one is active. Both tables are insert-only.
-- A bundle row keeps the exact bytes that were verified at publish; workers verify them again
-- before use, so a row inserted by hand gains nothing.
CREATE TABLE policy_bundles (
  digest       TEXT        PRIMARY KEY CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),  -- sha256 of the signed body
  version      TEXT        NOT NULL UNIQUE,                                       -- metadata.version, the human label
  revision     BIGINT      NOT NULL UNIQUE CHECK (revision >= 1),                 -- metadata.revision: orders activations
  key_id       TEXT        NOT NULL,                                              -- signature.keyId
  git_commit   TEXT,                                                              -- metadata.gitCommit
  text         TEXT        NOT NULL,                                              -- the bundle file, byte for byte
  published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  published_by TEXT        NOT NULL CHECK (published_by <> '')
);

-- The activation log: the last row is the active bundle. previous_* repeat the row before, so
-- each row says "from -> to" on its own; a trigger keeps them true.
CREATE TABLE policy_activations (
  seq               BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  digest            TEXT        NOT NULL REFERENCES policy_bundles (digest),
  revision          BIGINT      NOT NULL,
  previous_digest   TEXT        REFERENCES policy_bundles (digest),
  previous_revision BIGINT,
  activated_by      TEXT        NOT NULL CHECK (activated_by <> ''),
  activated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  rollback          BOOLEAN     NOT NULL,
  note              TEXT,
  -- A rollback is exactly an activation of a lower revision than the one it replaces.
  CONSTRAINT policy_activations_rollback_is_lower
    CHECK (rollback = (previous_revision IS NOT NULL AND revision < previous_revision)),
  CONSTRAINT policy_activations_previous_whole
    CHECK ((previous_digest IS NULL) = (previous_revision IS NULL))
);

CREATE INDEX policy_activations_digest ON policy_activations (digest);

-- Insert-only, whoever asks.
CREATE FUNCTION policy_bundles_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is insert-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER policy_bundles_no_update_delete
  BEFORE UPDATE OR DELETE ON policy_bundles
  FOR EACH ROW EXECUTE FUNCTION policy_bundles_reject_change();
CREATE TRIGGER policy_bundles_no_truncate
  BEFORE TRUNCATE ON policy_bundles
  FOR EACH STATEMENT EXECUTE FUNCTION policy_bundles_reject_change();
CREATE TRIGGER policy_activations_no_update_delete
  BEFORE UPDATE OR DELETE ON policy_activations
  FOR EACH ROW EXECUTE FUNCTION policy_bundles_reject_change();
CREATE TRIGGER policy_activations_no_truncate
  BEFORE TRUNCATE ON policy_activations
  FOR EACH STATEMENT EXECUTE FUNCTION policy_bundles_reject_change();

-- Every activation, however inserted: serialised by one transaction-scoped advisory lock (the
-- store takes the same one before it reads the active bundle, so its checks and this insert see
-- the same state), checked against the bundle and the row before it, and announced to workers
-- with a notification that is delivered only if the transaction commits.
CREATE FUNCTION policy_activations_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bundle_revision BIGINT;
  last_row        policy_activations%ROWTYPE;
BEGIN
  PERFORM pg_advisory_xact_lock(1095188816);  -- 0x41474150 "AGAP"; same constant as bundle-store.ts
  SELECT revision INTO bundle_revision FROM policy_bundles WHERE digest = NEW.digest;
  IF bundle_revision IS DISTINCT FROM NEW.revision THEN
    RAISE EXCEPTION 'activation of %: revision % is not the bundle''s revision %', NEW.digest, NEW.revision, bundle_revision
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT * INTO last_row FROM policy_activations ORDER BY seq DESC LIMIT 1;
  IF NEW.previous_digest IS DISTINCT FROM last_row.digest OR NEW.previous_revision IS DISTINCT FROM last_row.revision THEN
    RAISE EXCEPTION 'activation of %: previous bundle must be the active one (%), not %', NEW.digest, last_row.digest, NEW.previous_digest
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER policy_activations_check
  BEFORE INSERT ON policy_activations
  FOR EACH ROW EXECUTE FUNCTION policy_activations_check();

CREATE FUNCTION policy_activations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('actiongate_policy_activation', NEW.digest);
  RETURN NULL;
END;
$$;

CREATE TRIGGER policy_activations_notify
  AFTER INSERT ON policy_activations
  FOR EACH ROW EXECUTE FUNCTION policy_activations_notify();
