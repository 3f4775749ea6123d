-- The receipt log's RFC 9162 Merkle tree, integrated behind the hash chain (src/store/receipt-tree.ts):
-- every perfect subtree root, written once when its last leaf is integrated, so a checkpoint or a
-- proof reads O(log n) rows instead of the whole log. Derived from the receipts (leaf = SHA-256 of
-- 0x00 and the export line); a checkpoint signs the root, so a changed node shows as a root the
-- export does not hash to.
CREATE TABLE receipt_tree_nodes (
  level SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 62),
  idx   BIGINT   NOT NULL CHECK (idx >= 0),           -- covers leaves [idx * 2^level, (idx + 1) * 2^level)
  hash  BYTEA    NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, idx)
);

CREATE TRIGGER receipt_tree_nodes_no_update_delete
  BEFORE UPDATE OR DELETE ON receipt_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION receipts_reject_change();

CREATE TRIGGER receipt_tree_nodes_no_truncate
  BEFORE TRUNCATE ON receipt_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION receipts_reject_change();

-- How many receipts (leaves) the tree holds; it only grows.
CREATE TABLE receipt_tree_head (
  id   SMALLINT PRIMARY KEY CHECK (id = 1),
  size BIGINT   NOT NULL CHECK (size >= 0)
);
INSERT INTO receipt_tree_head (id, size) VALUES (1, 0);

CREATE FUNCTION receipt_tree_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.size < OLD.size THEN
    RAISE EXCEPTION 'the receipt tree only grows: % to % is not allowed', OLD.size, NEW.size
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER receipt_tree_head_forward
  BEFORE UPDATE ON receipt_tree_head
  FOR EACH ROW EXECUTE FUNCTION receipt_tree_head_forward();

CREATE TRIGGER receipt_tree_head_no_delete
  BEFORE DELETE ON receipt_tree_head
  FOR EACH ROW EXECUTE FUNCTION receipts_reject_change();

CREATE TRIGGER receipt_tree_head_no_truncate
  BEFORE TRUNCATE ON receipt_tree_head
  FOR EACH STATEMENT EXECUTE FUNCTION receipts_reject_change();

-- The last checkpoint note published to each destination (a file or URL, ACTIONGATE_CHECKPOINT_PUBLISH):
-- a publisher that restarts knows what is out, and publishers of several workers take turns.
CREATE TABLE receipt_checkpoint_publications (
  destination  TEXT        PRIMARY KEY,
  size         BIGINT      NOT NULL CHECK (size >= 0),
  note         TEXT,
  published_at TIMESTAMPTZ
);
