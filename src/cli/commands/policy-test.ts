import { resolve } from 'node:path';
import { formatCaseResult, formatCaseSummary, runPolicyCases, type CaseResult } from '../../policy/case-runner.js';
import { readPolicyCases } from '../../policy/policy-cases.js';
import { PolicyError } from '../../policy/policy-error.js';
import { readPolicyDir, SCHEMA_FILE } from '../../policy/policy-files.js';
import { compilePolicySet } from '../../policy/policy-set.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const POLICY_TEST_HELP = `Usage: actiongate policy test [DIR]

Checks a policy folder (default ACTIONGATE_POLICIES) the way a worker would load it, then runs
its cases:
  1. compiles the policy set: surfaces.json, Cedar syntax, unique ids, and strict validation of
     every policy against DIR/${SCHEMA_FILE} (a policy reading an attribute the schema does not
     declare, or comparing values of different types, is named with its file and id);
  2. decides every case in DIR/<surface>/cases.json at the case's fixed clock, and prints
     PASS <surface> <case>   or
     FAIL <surface> <case>: expected OUTCOME [reasons] got OUTCOME [reasons]
     then a summary line: N passed, M failed.

Exit status: 0 when the set compiles and every case passes; 1 when a case fails, a surface has
no readable cases.json, or the policy set is invalid (printed as INVALID <file>: ...).

${environmentHelp(['ACTIONGATE_POLICIES'])}`;

/** `actiongate policy test [DIR]`. */
export async function policyTestCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy test', args, {});
  if (values.help) {
    io.out(POLICY_TEST_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new CliError('USAGE', 'policy test takes at most one DIR');
  const dir = positionals[0] === undefined ? config.policiesDir : resolve(positionals[0]);

  let set;
  try {
    const files = await readPolicyDir(dir);
    if (!files.some((file) => file.path === SCHEMA_FILE)) {
      io.log(`no ${SCHEMA_FILE} in ${dir}: policies are not type-checked, only parsed`);
    }
    set = compilePolicySet(files);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    io.out(`INVALID ${error.message}`);
    return 1;
  }

  const results: CaseResult[] = [];
  let unreadable = 0;
  for (const surface of Object.keys(set.registry.surfaces).sort()) {
    let cases;
    try {
      cases = await readPolicyCases(dir, surface);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      io.out(`ERROR ${error.message}`);
      unreadable++;
      continue;
    }
    for (const result of runPolicyCases(set, surface, cases)) {
      io.out(formatCaseResult(result));
      results.push(result);
    }
  }
  io.out(formatCaseSummary(results));
  if (unreadable > 0) io.out(`${unreadable} surface(s) without usable cases`);
  return unreadable === 0 && results.every((result) => result.passed) ? 0 : 1;
}
