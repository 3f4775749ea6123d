// Progress of a long Merkle tree integration (checkpoint, receipts prove and consistency on a log
// that predates the stored tree): a line every 2 s, none for one that ends sooner.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { integrationProgress } from '../../src/cli/commands/checkpoint.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('integrationProgress', () => {
  it('says how far it is and how fast, every 2 s and no more often', () => {
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const lines: string[] = [];
    const progress = integrationProgress({ out: () => undefined, log: (line: string) => void lines.push(line) });
    now += 1_500;
    progress(2_000, 100_000);
    expect(lines).toEqual([]);
    now += 1_000;
    progress(4_000, 100_000);
    now += 500;
    progress(6_000, 100_000);
    now += 1_600;
    progress(8_000, 100_000);
    expect(lines).toEqual([
      "integrating the receipt log's Merkle tree: 4000 of 100000 receipts (1600/s)",
      "integrating the receipt log's Merkle tree: 8000 of 100000 receipts (1739/s)",
    ]);
  });
});
