import type { CompiledPolicySet } from '../../policy/policy-set.js';
import { isGateRefusal } from '../../policy/decision-diff.js';
import { PgBundleStore } from '../../store/bundle-store.js';
import { PgReceiptStore } from '../../store/receipt-store.js';
import type pg from 'pg';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import type { Digest } from '../../request/digest.js';

export const REPLAY_HELP = `Usage: actiongate replay KEY [--policies DIR]

Loads the request archived with KEY's decision receipt and the policy bundle that decided it,
evaluates the request again at the recorded instant, and prints both outcomes with their
reasons. Exit 0 only when they are identical.

A decision made from a policy directory (development mode) is replayed with --policies DIR,
whose digest must equal the recorded one. The bundle's signature is checked when
ACTIONGATE_BUNDLE_KEYS is set.

${environmentHelp(['database'])}`;

/** \`actiongate replay KEY\`: shows, months later, the same decision from the same bytes. */
export async function replayCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('replay', args, { policies: { type: 'string' } });
  if (values.help) {
    io.out(REPLAY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('USAGE', 'replay takes one idempotency KEY; run actiongate replay --help');
  const key = positionals[0] as string;
  const pool = await connectDatabase(config);
  try {
    const recorded = await new PgReceiptStore(pool).decisionOf(key);
    if (!recorded) throw new CliError('FAILED', `no decision with an archived request is recorded for ${key}`);
    const { body, request } = recorded;
    const digest = body.policy.digest;
    const policyLabel = `${digest ?? 'no policy set'}${body.policy.version ? ` (${body.policy.version})` : ''}`;
    io.out(`recorded  ${body.outcome}  [${body.reasons.join(', ')}]  policy ${policyLabel} at ${body.issuedAt}`);
    if (isGateRefusal(body)) io.out('          (a refusal by the gate itself, not a policy decision)');
    if (digest === null) throw new CliError('FAILED', `${key} was decided without a policy set: nothing to replay`);

    const set = await policySetFor(config, pool, digest, values.policies, io);
    // A receipt with a keyId had its signature checked when it was decided; one without was unsigned.
    const again = set.evaluate(request, { now: new Date(body.issuedAt), assumeSigned: (body.actor.keyId ?? null) !== null });
    const reasons = [...again.reasons].sort();
    io.out(`replayed  ${again.outcome}  [${reasons.join(', ')}]  policy ${set.digest}${set.version ? ` (${set.version})` : ''}`);
    const identical = again.outcome === body.outcome && reasons.join('\n') === [...body.reasons].sort().join('\n');
    io.out(identical ? 'identical' : 'DIFFERENT');
    return identical ? 0 : 1;
  } finally {
    await pool.end();
  }
}

async function policySetFor(
  config: ActionGateConfig,
  pool: pg.Pool,
  digest: Digest,
  dir: string | undefined,
  io: CommandIo,
): Promise<CompiledPolicySet> {
  if (dir !== undefined) {
    const { set } = await (await import('../policy-candidate.js')).loadCandidatePolicySet(config, dir); // Cedar: loaded when used
    if (set.digest !== digest) {
      throw new CliError('FAILED', `${dir} has digest ${set.digest}, but the decision was made with ${digest}`);
    }
    return set;
  }
  const stored = await new PgBundleStore(pool).get(digest);
  if (!stored) {
    throw new CliError('FAILED', `policy set ${digest} is not in the bundle store (decided from a policy directory?); pass --policies DIR`);
  }
  const { set, verified } = await (await import('../policy-candidate.js')).policySetFromBundleText(config, stored.text, `bundle ${digest}`);
  if (!verified) io.log('bundle signature not checked (ACTIONGATE_BUNDLE_KEYS is not set); the bytes are the archived ones');
  return set;
}
