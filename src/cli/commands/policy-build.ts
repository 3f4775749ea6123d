import { resolve } from 'node:path';
import { buildBundle } from '../../bundle/build-bundle.js';
import { bundleDigest, encodeBundle } from '../../bundle/bundle-encoding.js';
import { BUNDLE_VERSION_PATTERN, GIT_COMMIT_PATTERN } from '../../bundle/bundle-schema.js';
import { readPrivateKeyFile } from '../../keys/private-key-file.js';
import { readPolicyDir } from '../../policy/policy-files.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { detectGitCommit } from '../git-commit.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { writeFileAtomically } from '../write-file-atomically.js';

export const POLICY_BUILD_HELP = `Usage: actiongate policy build [DIR] --out FILE --version LABEL --revision N [--key KEYFILE] [--git-commit SHA]

Builds a signed policy bundle from a policy folder (default ACTIONGATE_POLICIES): the folder's
policy set (surfaces.json, schema.cedarschema, <surface>/*.cedar) is compiled first, so a set a
worker could not load is never built, then written with its metadata as canonical JSON and
signed with Ed25519. The same folder, metadata and key always give the same bytes.

Options:
  --out FILE         where to write the bundle
  --version LABEL    the bundle's label, e.g. 2026-11-24.1 (A-Z a-z 0-9 . _ + -, up to 64)
  --revision N       a whole number, higher than every bundle before it
  --key KEYFILE      private key file (\`actiongate keys generate\`); default ACTIONGATE_BUNDLE_SIGNING_KEY
  --git-commit SHA   the commit the policies come from; by default HEAD of DIR's git work tree,
                     or none when DIR is not in one or has uncommitted changes

Prints the bundle's digest, version, revision, signing key id and git commit.

${environmentHelp(['ACTIONGATE_POLICIES', 'ACTIONGATE_BUNDLE_SIGNING_KEY'])}`;

/** `actiongate policy build`. */
export async function policyBuildCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy build', args, {
    out: { type: 'string' },
    version: { type: 'string' },
    revision: { type: 'string' },
    key: { type: 'string' },
    'git-commit': { type: 'string' },
  });
  if (values.help) {
    io.out(POLICY_BUILD_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new CliError('USAGE', 'policy build takes at most one DIR');
  const dir = positionals[0] === undefined ? config.policiesDir : resolve(positionals[0]);
  const out = required(values.out, '--out FILE');
  const version = required(values.version, '--version LABEL');
  if (!BUNDLE_VERSION_PATTERN.test(version)) {
    throw new CliError('USAGE', `--version ${JSON.stringify(version)}: use 1 to 64 of A-Z a-z 0-9 . _ + -, starting with a letter or digit`);
  }
  const revisionText = required(values.revision, '--revision N');
  const revision = Number(revisionText);
  if (!/^[0-9]+$/.test(revisionText) || !Number.isSafeInteger(revision) || revision < 1) {
    throw new CliError('USAGE', `--revision ${JSON.stringify(revisionText)}: a whole number, at least 1`);
  }
  const keyFile = values.key ?? config.bundleSigningKey;
  if (keyFile === undefined) throw new CliError('USAGE', 'policy build needs --key KEYFILE (or ACTIONGATE_BUNDLE_SIGNING_KEY)');
  const givenCommit = values['git-commit'];
  if (givenCommit !== undefined && !GIT_COMMIT_PATTERN.test(givenCommit)) {
    throw new CliError('USAGE', `--git-commit ${JSON.stringify(givenCommit)}: a full lower-case commit id (40 or 64 hex digits)`);
  }

  const signer = await readPrivateKeyFile(resolve(keyFile));
  const files = await readPolicyDir(dir);
  let gitCommit: string | null;
  if (givenCommit !== undefined) {
    gitCommit = givenCommit;
  } else {
    const detected = await detectGitCommit(dir);
    if (detected.warning) io.log(detected.warning);
    gitCommit = detected.commit;
  }

  const bundle = buildBundle(files, { version, revision, gitCommit }, signer);
  await writeFileAtomically(resolve(out), encodeBundle(bundle));
  io.out(`wrote     ${out}`);
  io.out(`digest    ${bundleDigest(bundle.body)}`);
  io.out(`version   ${version}`);
  io.out(`revision  ${revision}`);
  io.out(`key       ${signer.keyId}`);
  io.out(`gitCommit ${gitCommit ?? 'none'}`);
  return 0;
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw new CliError('USAGE', `policy build needs ${option}`);
  return value;
}
