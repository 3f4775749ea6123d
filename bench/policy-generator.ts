// Writes synthetic policy sets in the layout of policies/ (surfaces.json, schema.cedarschema,
// principals.json + <surface>/*.cedar, every policy with its own @id), so the gate can be timed on
// set sizes the sample policies do not reach.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { demoSigner } from '../src/demo/demo-keys.js';

/** The request every generated surface PERMITs: an agent's transfer of 120.00 EUR. */
export const GENERATED_ACTION = 'transfer';

/** Who sends it: the one principal of a generated set, signing with its demo key (demoSigner). */
export const GENERATED_ACTOR = 'agent-42';

// Every action and context attribute the generated policies read (contexts are closed records, and
// requests are validated against the schema), and the Target shape the gate fills in.
const SCHEMA = `namespace ActionGate {
  entity Actor = { "type": String };
  entity Target = { "type": String, "tags": Set<String> };
  type Gate = { now: Long, hourUtc: Long, weekdayUtc: Long, surface: String };
  action ${GENERATED_ACTION}, refund appliesTo {
    principal: [Actor],
    resource: [Target],
    context: { gate: Gate, amount: Long, currency: String, memo?: String }
  };
}
`;

function principalsJson(): string {
  const signer = demoSigner(GENERATED_ACTOR);
  const principals = { [GENERATED_ACTOR]: { type: 'agent', keys: [{ keyId: signer.keyId, publicKey: signer.publicKey }] } };
  return JSON.stringify({ version: 1, principals }, null, 2);
}

export function surfaceName(index: number): string {
  return `bench-${String(index).padStart(3, '0')}`;
}

/**
 * `surfaces` surfaces of `perSurface` policies each: a fifth permits (of which the agent-transfer
 * ones match the bench request), the rest forbid in a mix of shapes that read the principal,
 * resource and context without matching it, so every policy is evaluated and the answer is PERMIT.
 */
export async function writePolicySet(dir: string, surfaces: number, perSurface: number): Promise<void> {
  const registry: Record<string, unknown> = {};
  for (let s = 0; s < surfaces; s++) {
    const surface = surfaceName(s);
    registry[surface] = {
      description: `Generated for the gate benchmark (${perSurface} policies).`,
      mode: 'enforce',
      budgetMs: 2000,
      connector: { kind: 'http', url: `http://127.0.0.1:8787/${surface}`, timeoutMs: 10000 },
    };
    const permits: string[] = [];
    const forbids: string[] = [];
    for (let k = 0; k < perSurface; k++) {
      const id = `${surface}.p${String(k).padStart(4, '0')}`;
      if (k % 5 === 0) permits.push(permitPolicy(id, k));
      else forbids.push(forbidPolicy(id, k));
    }
    await mkdir(join(dir, surface), { recursive: true });
    await writeFile(join(dir, surface, 'permit.cedar'), permits.join('\n\n') + '\n');
    if (forbids.length > 0) await writeFile(join(dir, surface, 'guards.cedar'), forbids.join('\n\n') + '\n');
  }
  await writeFile(join(dir, 'surfaces.json'), JSON.stringify({ version: 1, surfaces: registry }, null, 2));
  await writeFile(join(dir, 'schema.cedarschema'), SCHEMA);
  await writeFile(join(dir, 'principals.json'), principalsJson());
}

function permitPolicy(id: string, k: number): string {
  const action = `action == ActionGate::Action::"${k % 2 === 0 ? GENERATED_ACTION : 'refund'}"`;
  return `@id("${id}")\npermit (principal, ${action}, resource)\nwhen { principal.type == "agent" && context.amount <= ${50_000 + k} };`;
}

function forbidPolicy(id: string, k: number): string {
  const head = `@id("${id}")\nforbid (principal, action == ActionGate::Action::"${GENERATED_ACTION}", resource)`;
  switch (k % 4) {
    case 0:
      return `${head}\nwhen { context.amount > ${100_000 + k} };`;
    case 1:
      return `${head}\nwhen { principal.type == "agent" && context.amount > ${60_000 + k * 10} };`;
    case 2:
      return `${head}\nwhen { !["EUR", "USD", "GBP"].contains(context.currency) || resource.type == "blocked-${k}" };`;
    default:
      return `${head}\nwhen { context has memo && context.memo == "blocked-${k}" }\nunless { context.gate.hourUtc < 24 };`;
  }
}
