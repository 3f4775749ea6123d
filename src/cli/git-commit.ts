import { execFile } from 'node:child_process';

/** Runs git with these arguments and resolves to its standard output; rejects when git fails. */
export type GitRunner = (args: string[]) => Promise<string>;

export interface DetectedGitCommit {
  /** HEAD's full commit id, or null: not a git work tree, no git, no commit, or uncommitted changes under the folder. */
  commit: string | null;
  /** Why `commit` is null, for the log; absent when there is simply no git checkout. */
  warning?: string;
}

/**
 * The commit a policy folder's files come from, for a bundle's `metadata.gitCommit`. A folder
 * with uncommitted or untracked changes gets null and a warning: HEAD would name a commit whose
 * files are not the ones in the bundle.
 *
 * @example const { commit, warning } = await detectGitCommit('policies');
 */
export async function detectGitCommit(dir: string, run: GitRunner = gitIn(dir)): Promise<DetectedGitCommit> {
  try {
    if ((await run(['rev-parse', '--is-inside-work-tree'])).trim() !== 'true') return { commit: null };
  } catch {
    return { commit: null };
  }
  let head: string;
  try {
    head = (await run(['rev-parse', '--verify', 'HEAD'])).trim();
  } catch {
    return { commit: null, warning: `${dir} is in a git work tree without commits: gitCommit left null` };
  }
  let changes: string;
  try {
    changes = (await run(['status', '--porcelain', '--untracked-files=all', '--', '.'])).trim();
  } catch {
    return { commit: null, warning: `cannot tell whether ${dir} has uncommitted changes: gitCommit left null` };
  }
  if (changes !== '') {
    return { commit: null, warning: `uncommitted changes under ${dir}: gitCommit left null (commit them, or pass --git-commit)` };
  }
  return { commit: head };
}

function gitIn(dir: string): GitRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      execFile('git', ['-C', dir, ...args], { timeout: 10_000, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
}
