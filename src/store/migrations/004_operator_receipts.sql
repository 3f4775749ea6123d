-- Operators in the loop: an action that waited for operators gets one approval (step-up) or
-- override (break-glass) receipt; still one per key and kind, still append-only.
ALTER TABLE receipts DROP CONSTRAINT receipts_kind_check;
ALTER TABLE receipts ADD CONSTRAINT receipts_kind_check CHECK (kind IN ('decision', 'outcome', 'approval', 'override'));
