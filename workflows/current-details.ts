// The workflow page's "current details" card (markdown): the decision first, then what became of it.
// Built only from bounded, non-secret facts: outcome, policy ids and gate reasons, policy version and
// digest, budget, dispatch status and error code, operators' wait. Never the payload or an error text.
import type { ActionDecision } from '../src/action/action-result.js';

export interface CurrentDetails {
  decision: ActionDecision | null;
  budgetMs: number | null;
  /** pending while dispatching; then succeeded, failed, skipped (unknown: an earlier run left no outcome). */
  dispatch: { status: string; errorCode: string | null } | null;
  operators: { kind: 'approval' | 'override'; until: string; counted: number; resolution: string | null } | null;
}

/** At most this many reasons are listed (and indexed): they are policy ids and gate reasons, bounded by the policy set. */
export const MAX_REASONS_SHOWN = 20;

/** @example renderCurrentDetails({ decision, budgetMs: 1000, dispatch: { status: 'failed', errorCode: 'HTTP_400' }, operators: null }) */
export function renderCurrentDetails(details: CurrentDetails): string {
  const { decision } = details;
  if (decision === null) return '**Deciding…** (the gate has not answered yet)';
  const lines = [`**${decision.outcome}**${decision.mode === 'enforce' ? '' : ` (${decision.mode} mode)`}`];
  lines.push(`- Reasons: ${decision.reasons.slice(0, MAX_REASONS_SHOWN).map((r) => `\`${code(r)}\``).join(', ') || 'none'}`);
  const { version, digest } = decision.policy;
  if (digest === null) lines.push('- Policies: none in force');
  else lines.push(`- Policies: \`${shortDigest(digest)}\`${version === null ? '' : `, version ${code(version)}`}`);
  if (details.budgetMs !== null) lines.push(`- Budget: ${details.budgetMs} ms`);
  if (details.operators) {
    const { kind, until, counted, resolution } = details.operators;
    const what = kind === 'approval' ? 'approval' : 'break-glass override';
    lines.push(`- Operators: ${resolution ? `${what} ${code(resolution)}` : `waiting for ${what} until ${until}, ${counted} counted`}`);
  }
  if (details.dispatch) {
    const { status, errorCode } = details.dispatch;
    lines.push(`- Dispatch: **${code(status)}**${errorCode ? ` (\`${code(errorCode)}\`)` : ''}`);
  }
  if (decision.fromReceipts) lines.push('- Answered from the receipts of an earlier run of this key');
  return lines.join('\n');
}

function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest; // sha256: and 12 hex digits
}

/** Keeps identifiers inert in markdown (no backticks, no line breaks) and short. */
function code(text: string): string {
  return text.replace(/[`\r\n]/g, '').slice(0, 80);
}
