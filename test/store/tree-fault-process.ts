// A process that integrates the receipt log's Merkle tree, or publishes its latest checkpoint,
// and stops at the named fault points (reported on stdout as FAULT-POINT <name> <size>) so a test
// can SIGKILL it there. Config: TREE_FAULT_CONFIG (JSON), see TreeFaultConfig.
import pg from 'pg';
import { pausingFaultPoints } from '../../src/faults/fault-points.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { parseCheckpointDestination } from '../../src/store/checkpoint-destination.js';
import { CheckpointPublisher } from '../../src/store/checkpoint-publisher.js';
import { integrateReceiptTree } from '../../src/store/receipt-tree.js';

export interface TreeFaultConfig {
  databaseUrl: string;
  mode: 'integrate' | 'publish';
  faultPoints: string[];
  /** publish: the receipt key file's text, the log's origin and the destination. */
  receiptKey?: string;
  origin?: string;
  destination?: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(config: TreeFaultConfig): Promise<void> {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 });
  const faultPoints = pausingFaultPoints(new Set(config.faultPoints), out);
  if (config.mode === 'integrate') {
    out(`DONE ${await integrateReceiptTree(pool, { faultPoints })}`);
  } else {
    const publisher = new CheckpointPublisher({
      pool,
      signer: parsePrivateKeyFile(config.receiptKey ?? '', 'receipt key'),
      origin: config.origin ?? 'test/receipts',
      destination: parseCheckpointDestination(config.destination ?? ''),
      faultPoints,
    });
    out(`DONE ${JSON.stringify(await publisher.publishOnce())}`);
  }
  await pool.end();
}

main(JSON.parse(process.env.TREE_FAULT_CONFIG ?? '{}') as TreeFaultConfig).catch((err: unknown) => {
  process.stderr.write(`tree fault process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
