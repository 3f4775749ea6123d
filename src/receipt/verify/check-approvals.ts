import { canonicalJson } from '../../request/canonical-json.js';
import type { KeySet } from '../../keys/key-set.js';
import { findTrustedKey } from '../../keys/trusted-key.js';
import type { OperatorReceiptBody } from '../receipt-body.js';
import { decodeBase64url } from './base64url.js';
import { publicKeyWithId } from './check-signature.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import type { ParsedReceipt } from './parse-line.js';
import type { Note, Problem } from './problem.js';

type SignedApproval = OperatorReceiptBody['approvals'][number];
type ApprovalStatement = SignedApproval['statement'];

/**
 * Domain separation of an operator's signature (the same as src/identity/operator-approval.ts,
 * restated so the verifier loads nothing of the gate): it never verifies as a request, receipt or
 * bundle signature, nor they as an approval.
 */
export const APPROVAL_SIGNING_DOMAIN = 'actiongate/operator-approval/v1\n';

/**
 * The bytes an operator signs: the domain line, then the RFC 8785 canonical JSON of the statement.
 *
 * @example backend.verify(publicKey, approvalSigningInput(approval.statement), signature)
 */
export function approvalSigningInput(statement: ApprovalStatement): Uint8Array {
  return new TextEncoder().encode(`${APPROVAL_SIGNING_DOMAIN}${canonicalJson(statement)}`);
}

/** The verdicts an operator receipt of each kind may carry, and the one that counts toward its PERMIT. */
const VERDICTS = {
  approval: { allowed: ['approve', 'reject'], permits: 'approve' },
  override: { allowed: ['override', 'reject'], permits: 'override' },
} as const;

/**
 * Checks the signed approvals inside every approval and override receipt, each on its own:
 *
 * - each statement is bound to exactly this receipt's workflowId, runId, requestHash and
 *   decisionReceiptId, else `APPROVAL_NOT_BOUND`;
 * - its verdict counts for the kind (`approve`/`reject` in an approval, `override`/`reject` in an
 *   override), else `APPROVAL_WRONG_VERDICT`;
 * - a PERMIT holds at least one statement with the counting verdict, an `*_rejected` at least one
 *   `reject`, else `UNSUPPORTED_OPERATOR_OUTCOME`;
 * - when the approval's keyId is in the key set: the key is trusted for purpose `operator` (else
 *   `APPROVAL_KEY_WRONG_PURPOSE`: a receipt, request or bundle key never vouches for an operator),
 *   valid at the receipt's issuedAt (else `APPROVAL_KEY_NOT_VALID`), the key with that id, and
 *   the signature verifies strictly with the same back end as receipts (else
 *   `APPROVAL_BAD_SIGNATURE`). A keyId not in the set is a note (`OPERATOR_SIGNATURE_NOT_CHECKED`),
 *   not a problem: the export is still checked, only not that signature.
 *
 * @example const { problems, notes } = checkApprovals(receipts, keys, nobleBackend);
 */
export function checkApprovals(receipts: readonly ParsedReceipt[], keys: KeySet, backend: Ed25519Backend): { problems: Problem[]; notes: Note[] } {
  const problems: Problem[] = [];
  const notes: Note[] = [];
  for (const { envelope, line } of receipts) {
    const body = envelope.body;
    if (body.kind !== 'approval' && body.kind !== 'override') continue;
    const where = { seq: envelope.log.seq, ...(line === undefined ? {} : { line }) };
    const verdicts = VERDICTS[body.kind];
    body.approvals.forEach((approval, index) => {
      const { statement } = approval;
      const which = `approval ${index + 1} (${statement.operatorId}, key ${approval.keyId})`;
      const differing = (['workflowId', 'runId', 'requestHash', 'decisionReceiptId'] as const).filter((field) => statement[field] !== body[field]);
      if (differing.length > 0) {
        problems.push({ code: 'APPROVAL_NOT_BOUND', ...where, message: `${which} names another ${differing.join(', ')} than this ${body.kind} receipt` });
      }
      if (!(verdicts.allowed as readonly string[]).includes(statement.verdict)) {
        problems.push({ code: 'APPROVAL_WRONG_VERDICT', ...where, message: `${which} says ${statement.verdict}, which does not count in an ${body.kind} receipt (${verdicts.allowed.join(', ')})` });
      }
      const signature = checkOperatorSignature(approval, keys, backend, body.issuedAt);
      if (signature === 'not-in-set') {
        notes.push({ code: 'OPERATOR_SIGNATURE_NOT_CHECKED', ...where, message: `${which}: operator signature not checked: the key set does not hold ${approval.keyId}` });
      } else if (signature !== undefined) {
        problems.push({ ...signature, ...where, message: `${which}: ${signature.message}` });
      }
    });
    const needed = body.outcome === 'PERMIT' ? verdicts.permits : body.reasons[0].endsWith('_rejected') ? 'reject' : undefined;
    if (needed !== undefined && !body.approvals.some(({ statement }) => statement.verdict === needed)) {
      problems.push({
        code: 'UNSUPPORTED_OPERATOR_OUTCOME',
        ...where,
        message: `${body.kind} receipt says ${body.outcome} (${body.reasons[0]}) but holds no operator statement with verdict ${needed}`,
      });
    }
  }
  return { problems, notes };
}

/** undefined when the signature verifies under a trusted operator key; `not-in-set` when the set does not hold the key at all. */
function checkOperatorSignature(
  approval: SignedApproval,
  keys: KeySet,
  backend: Ed25519Backend,
  issuedAt: string,
): 'not-in-set' | { code: Problem['code']; message: string } | undefined {
  const found = findTrustedKey(keys, approval.keyId, 'operator', new Date(issuedAt));
  if (!found.trusted) {
    if (found.reason === 'unknown-key') return 'not-in-set';
    if (found.reason === 'wrong-purpose') return { code: 'APPROVAL_KEY_WRONG_PURPOSE', message: `${found.message}: it cannot vouch for an operator` };
    return { code: 'APPROVAL_KEY_NOT_VALID', message: `${found.message}; the receipt was issued at ${issuedAt}` };
  }
  const publicKey = publicKeyWithId(found.entry.publicKey, approval.keyId);
  // A key set handed over as a plain object may not have been parsed: the id must be derived from the key.
  if (!publicKey) {
    return { code: 'APPROVAL_BAD_SIGNATURE', message: `the key set's public key for ${approval.keyId} is not the key with that id` };
  }
  const signature = decodeBase64url(approval.sig, 64);
  if (!signature || !backend.verify(publicKey, approvalSigningInput(approval.statement), signature)) {
    return { code: 'APPROVAL_BAD_SIGNATURE', message: `the operator signature does not verify under ${approval.keyId} (${backend.name})` };
  }
  return undefined;
}
