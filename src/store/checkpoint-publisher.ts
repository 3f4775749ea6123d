import type pg from 'pg';
import type { FaultPoints } from '../faults/fault-points.js';
import type { Signer } from '../keys/signer.js';
import type { LogLine } from '../logging/log-line.js';
import { checkpointNote } from '../receipt/verify/trusted-checkpoint.js';
import { destinationName, writeCheckpointNote, type CheckpointDestination } from './checkpoint-destination.js';
import { withPooledClient } from './pooled-client.js';
import { integrateReceiptTree, receiptConsistencyProof, receiptTreeRoot } from './receipt-tree.js';
import { verifyConsistency } from '../receipt/merkle/index.js';
import { parseCheckpoint, splitNote } from '../receipt/note/index.js';

/** What one publication round did. */
export type PublishResult =
  | { published: true; size: number; note: string }
  | { published: false; size: number; why: 'no checkpoint yet' | 'already published' };

export interface CheckpointPublisherOptions {
  pool: pg.Pool;
  /** The receipt key: checkpoint notes are signed with it under `origin`. */
  signer: Signer;
  /** The log's name, the first line of its checkpoints and the key name of its signature. */
  origin: string;
  destination: CheckpointDestination;
  /** Progress and failures, one line each. */
  log?: LogLine;
  /** Told the tree size after each round and each failure. */
  metrics?: { checkpointPublished(size: number, treeSize: number): void; checkpointPublishFailed(): void };
  faultPoints?: FaultPoints;
  fetch?: typeof fetch;
  /**
   * At least this long from the start of one round to the start of the next (default 1 s): checkpoints
   * that land meanwhile are published together, as the latest of them (each note covers all before
   * it). 0 publishes every checkpoint the moment the previous round ends.
   */
  minIntervalMs?: number;
  /** First wait before a failed round is tried again, doubled up to `maxRetryMs` (default 1 s and 60 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Publishes the receipt log's checkpoints as C2SP checkpoint notes to a file or URL an operator
 * chose, after each one: when told the log has a new checkpoint ({@link notify}, the receipt store
 * calls it after committing one), it integrates the Merkle tree up to the log's head, signs a
 * note for the latest checkpointed size and writes it out; the size is then recorded in
 * `receipt_checkpoint_publications` for that destination. Before signing it checks, as a witness
 * would, that the tree extends the note it last published there (a consistency proof from the stored
 * tree against that note's root): a tree changed in the database is refused, never signed into a fork.
 *
 * Crash-safe and shared: a round holds the destination's row lock from the check to the record,
 * so the publishers of several workers take turns and never publish an older size after a newer
 * one; the note is written before it is recorded, so a crash in between publishes it again (the
 * same bytes: Ed25519 signatures are deterministic), never skips it. Rounds never overlap in one
 * process; notices during a round coalesce into one more round, at most one a `minIntervalMs`, so
 * under load the destination gets the latest checkpoint about once a second rather than one note
 * per checkpoint. A failed round is retried with backoff and does not hold up appends. {@link close}
 * still runs a round that is owed, so the latest checkpoint is out when a worker stops.
 *
 * @example
 * const publisher = new CheckpointPublisher({ pool, signer, origin: 'acme.example/actiongate', destination: parseCheckpointDestination('/srv/checkpoint.note') });
 * new PgReceiptStore(pool, { signer, onCheckpoint: () => publisher.notify() });
 */
export class CheckpointPublisher {
  private running: Promise<void> | undefined;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private endPause: (() => void) | undefined;
  private retryMs: number;
  private closed = false;
  readonly name: string;

  constructor(private readonly options: CheckpointPublisherOptions) {
    this.retryMs = options.retryMs ?? 1_000;
    this.name = destinationName(options.destination);
  }

  /** A new checkpoint may be in the log: publish it soon (coalesced; never throws). */
  notify(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A notice that came after the loop's last check and before this.
      if (this.again && !this.closed) this.notify();
    });
  }

  /** Takes no more notices and stops retrying; the round in progress, and one it owes, run now. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.pauseTimer);
    this.endPause?.();
    await this.running;
  }

  /** Resolves when no round is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      clearTimeout(this.retryTimer);
      const started = performance.now();
      try {
        await this.publishOnce();
        this.retryMs = this.options.retryMs ?? 1_000;
      } catch (err) {
        this.options.metrics?.checkpointPublishFailed();
        this.options.log?.(`checkpoint publication to ${this.name} failed, retried in ${this.retryMs / 1_000} s: ${(err as Error).message}`, {
          level: 'warn',
          destination: this.name,
        });
        if (!this.closed) {
          this.retryTimer = setTimeout(() => this.notify(), this.retryMs);
          this.retryTimer.unref();
        }
        this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 60_000);
        this.again = false; // the retry covers what came meanwhile
        return;
      }
      if (this.again && !this.closed) await this.pause(started + (this.options.minIntervalMs ?? 1_000) - performance.now());
    } while (this.again);
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.endPause = () => resolve();
      this.pauseTimer = setTimeout(resolve, ms);
    }).finally(() => {
      this.endPause = undefined;
    });
  }

  /**
   * One round: the tree integrated up to the log's head, then, under the destination's row lock,
   * the latest checkpointed size the tree holds published unless it already is.
   */
  async publishOnce(): Promise<PublishResult> {
    const { pool, signer, origin, destination, faultPoints } = this.options;
    const treeSize = await integrateReceiptTree(pool, faultPoints ? { faultPoints } : {});
    const result = await withPooledClient(pool, async (client): Promise<PublishResult> => {
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO receipt_checkpoint_publications (destination, size) VALUES ($1, 0) ON CONFLICT DO NOTHING', [this.name]);
        const { rows } = await client.query<{ published: string; note: string | null; latest: string | null; logCheckpoint: string | null }>(
          `SELECT p.size AS published, p.note, (SELECT max(size) FROM receipt_checkpoints WHERE size <= $2) AS latest,
                  (SELECT max(size) FROM receipt_checkpoints) AS "logCheckpoint"
             FROM receipt_checkpoint_publications p WHERE p.destination = $1 FOR UPDATE`,
          [this.name, treeSize],
        );
        const published = Number(rows[0]?.published ?? 0);
        const latest = rows[0]?.latest === null || rows[0]?.latest === undefined ? 0 : Number(rows[0].latest);
        const logCheckpoint = Number(rows[0]?.logCheckpoint ?? 0);
        if (published > logCheckpoint) {
          // Only a hand in the database makes this: a publisher never records past the log. Loud, not "already published".
          throw new Error(`receipt_checkpoint_publications says ${this.name} holds a ${published}-receipt checkpoint, but the log's latest checkpoint is ${logCheckpoint}`);
        }
        if (latest === 0 || latest <= published) {
          await client.query('COMMIT');
          return { published: false, size: published, why: latest === 0 ? 'no checkpoint yet' : 'already published' };
        }
        const rootHash = await receiptTreeRoot(client, latest);
        if (published > 0) await assertExtends(client, rows[0]?.note ?? null, published, latest, rootHash, this.name);
        const note = checkpointNote({ origin, size: latest, rootHash }, signer);
        await faultPoints?.reach('publish.before-write', String(latest));
        await writeCheckpointNote(destination, note, this.options.fetch);
        await faultPoints?.reach('publish.after-write', String(latest));
        await client.query('UPDATE receipt_checkpoint_publications SET size = $2, note = $3, published_at = now() WHERE destination = $1', [this.name, latest, note]);
        await client.query('COMMIT');
        return { published: true, size: latest, note };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    this.options.metrics?.checkpointPublished(result.size, treeSize);
    if (result.published) this.options.log?.(`published the ${result.size}-receipt checkpoint to ${this.name}`, { destination: this.name, size: result.size, treeSize });
    return result;
  }
}

/**
 * The publisher's own witness check: the tree it is about to sign at `size` extends the checkpoint
 * it last published (an RFC 9162 consistency proof from the stored tree, checked against the root
 * in that note). A tree changed under the database's hands is refused, not signed into a fork.
 */
async function assertExtends(db: pg.PoolClient, previousNote: string | null, previousSize: number, size: number, root: Uint8Array, name: string): Promise<void> {
  let previous: { size: number; rootHash: Uint8Array };
  try {
    previous = parseCheckpoint(splitNote(previousNote ?? '').text);
  } catch (err) {
    throw new Error(`receipt_checkpoint_publications holds no readable note for ${name} at ${previousSize} receipts: ${(err as Error).message}`);
  }
  const proof = previous.size === previousSize ? await receiptConsistencyProof(db, previousSize, size) : [];
  if (previous.size !== previousSize || !verifyConsistency(previousSize, size, previous.rootHash, root, proof)) {
    throw new Error(`the stored Merkle tree at ${size} receipts does not extend the ${previousSize}-receipt checkpoint published to ${name}: refusing to sign a fork`);
  }
}
