import { describe, expect, it } from 'vitest';
import { detectGitCommit, type GitRunner } from '../../src/cli/git-commit.js';

const HEAD = '0123456789abcdef0123456789abcdef01234567';

/** A fake git: answers by subcommand, records what it was asked. */
function fakeGit(answers: Record<string, string | Error>): GitRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (args: string[]) => {
    calls.push(args);
    const answer = answers[args[0] === 'rev-parse' ? args[1]! : args[0]!];
    if (answer === undefined || answer instanceof Error) throw answer ?? new Error('unexpected');
    return answer;
  };
  return Object.assign(run, { calls });
}

describe('detectGitCommit', () => {
  describe('when the folder is a clean git work tree', () => {
    it('is HEAD', async () => {
      const git = fakeGit({ '--is-inside-work-tree': 'true\n', '--verify': `${HEAD}\n`, status: '' });
      expect(await detectGitCommit('policies', git)).toEqual({ commit: HEAD });
      expect(git.calls.at(-1)).toEqual(['status', '--porcelain', '--untracked-files=all', '--', '.']);
    });
  });

  describe('when the folder has uncommitted or untracked changes', () => {
    it('is null with a warning: HEAD does not describe these files', async () => {
      const git = fakeGit({ '--is-inside-work-tree': 'true\n', '--verify': `${HEAD}\n`, status: '?? payments/new.cedar\n' });
      const detected = await detectGitCommit('policies', git);
      expect(detected.commit).toBeNull();
      expect(detected.warning).toContain('uncommitted changes');
    });
  });

  describe('when there is no git work tree or no git', () => {
    it('is null without a warning', async () => {
      expect(await detectGitCommit('policies', fakeGit({ '--is-inside-work-tree': new Error('not a git repository') }))).toEqual({ commit: null });
      expect(await detectGitCommit('policies', fakeGit({ '--is-inside-work-tree': 'false\n' }))).toEqual({ commit: null });
    });
  });

  describe('when the work tree has no commit yet', () => {
    it('is null with a warning', async () => {
      const detected = await detectGitCommit('policies', fakeGit({ '--is-inside-work-tree': 'true\n', '--verify': new Error('no HEAD') }));
      expect(detected).toMatchObject({ commit: null, warning: expect.stringContaining('without commits') });
    });
  });
});
