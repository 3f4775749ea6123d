import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PolicyError } from './policy-error.js';

/** Beside each surface's policies: the requests they must allow and refuse. Not part of the policy set. */
export const CASES_FILE = 'cases.json';

const JsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

const Expectation = z.strictObject({
  outcome: z.enum(['PERMIT', 'DENY', 'SILENCE', 'STEP_UP']),
  reasons: z.array(z.string()).min(1),
});

/**
 * `<surface>/cases.json`: requests on that surface and the decision each must get, at the file's
 * fixed instant `now` (or the case's own), so a case never depends on when it runs.
 */
export const PolicyCasesFileSchema = z.strictObject({
  version: z.literal(1),
  now: z.iso.datetime(),
  cases: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        now: z.iso.datetime().optional(),
        actor: z.strictObject({ id: z.string(), type: z.string() }),
        action: z.string(),
        target: z.strictObject({ type: z.string(), id: z.string() }),
        context: z.record(z.string(), JsonValue),
        expect: Expectation,
      }),
    )
    .min(2),
});

export type PolicyCasesFile = z.infer<typeof PolicyCasesFileSchema>;
export type PolicyCase = PolicyCasesFile['cases'][number];

/**
 * Checks a cases file's text. `path` names it in errors.
 *
 * @throws PolicyError `POLICY_INVALID` naming the file and every bad field (`details.issues`),
 *   also for a version other than 1 and for two cases with the same name.
 * @example parsePolicyCases(await readFile('policies/payments/cases.json', 'utf8'), 'payments/cases.json')
 */
export function parsePolicyCases(text: string, path: string): PolicyCasesFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PolicyError('POLICY_INVALID', `${path}: not JSON (${(error as Error).message})`, { file: path }, { cause: error });
  }
  const parsed = PolicyCasesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new PolicyError('POLICY_INVALID', `${path}: ${issues.join('; ')}`, { file: path, issues });
  }
  const names = new Set<string>();
  for (const c of parsed.data.cases) {
    // Results are reported by name; two cases with one name would hide each other.
    if (names.has(c.name)) throw new PolicyError('POLICY_INVALID', `${path}: two cases are named ${JSON.stringify(c.name)}`, { file: path });
    names.add(c.name);
  }
  return parsed.data;
}

/**
 * Reads `<dir>/<surface>/cases.json`.
 *
 * @throws PolicyError `POLICY_UNAVAILABLE` when it cannot be read (a surface without cases is
 *   untested), `POLICY_INVALID` as {@link parsePolicyCases}.
 * @example const cases = await readPolicyCases('policies', 'payments');
 */
export async function readPolicyCases(dir: string, surface: string): Promise<PolicyCasesFile> {
  const path = `${surface}/${CASES_FILE}`;
  let text: string;
  try {
    text = await readFile(join(dir, surface, CASES_FILE), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
    throw new PolicyError('POLICY_UNAVAILABLE', `cannot read ${path} in ${dir} (${reason})`, { dir, file: path }, { cause: error });
  }
  return parsePolicyCases(text, path);
}
