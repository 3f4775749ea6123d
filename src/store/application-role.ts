/**
 * What the application's database role may do: append and read receipts, checkpoints and policy
 * bundles, move the log's head row, integrate the Merkle tree (its nodes appended, its head moved
 * forward) and record checkpoint publications. No UPDATE, DELETE or TRUNCATE on anything
 * append-only (the triggers refuse those for every role as well). Migrations run as the owner, not as this role.
 *
 * @example for (const sql of APPLICATION_ROLE_GRANTS('actiongate_app')) await admin.query(sql);
 */
export function APPLICATION_ROLE_GRANTS(role: string): string[] {
  const r = `"${role.replaceAll('"', '""')}"`;
  return [
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    `GRANT SELECT, INSERT ON receipts, receipt_checkpoints, policy_bundles, policy_activations TO ${r}`,
    `GRANT SELECT, UPDATE ON receipt_log_head TO ${r}`,
    `GRANT SELECT, INSERT ON receipt_tree_nodes TO ${r}`,
    `GRANT SELECT, UPDATE ON receipt_tree_head TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE ON receipt_checkpoint_publications TO ${r}`,
    `GRANT SELECT ON actiongate_migrations TO ${r}`,
  ];
}
