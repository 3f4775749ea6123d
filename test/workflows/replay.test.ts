// Histories recorded by earlier code (test/fixtures/histories/README.md) must replay on this code:
// a worker upgraded while actions are in flight resumes them instead of failing their workflow tasks.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';

const HISTORIES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'histories');

// The files are `temporal workflow show -o json` output (proto JSON). Parsed with the protobufjs that
// @temporalio/proto's types belong to: the SDK's historyFromJSON fails ("type must be a Type") when
// npm installs @temporalio/common and @temporalio/proto each with its own copy of protobufjs.
const protoRequire = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const { fromJson } = protoRequire('protobufjs/ext/protojson') as { fromJson: (type: unknown, json: unknown, options?: object) => unknown };
const historyType = (proto as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

describe('when a worker with this code resumes actions started by earlier code', () => {
  it('replays every recorded history without a nondeterminism error', async () => {
    const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const code = await readFile(testEnv().workflowBundlePath, 'utf8');
    const results: Array<[string, string | undefined]> = [];
    for (const file of files) {
      const json = JSON.parse(await readFile(join(HISTORIES_DIR, file), 'utf8'));
      const history = fromJson(historyType, json, { ignoreUnknownFields: true });
      const error = await Worker.runReplayHistory({ workflowBundle: { code } }, history, workflowIdOf(json)).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      );
      results.push([file, error]);
    }
    expect(results).toEqual(files.map((f) => [f, undefined]));
  });
});

/** The workflow ID is the idempotency key (the workflow checks it): read it from the recorded input. */
function workflowIdOf(json: { events: Array<{ workflowExecutionStartedEventAttributes?: { input: { payloads: Array<{ data: string }> } } }> }): string {
  const data = json.events[0]?.workflowExecutionStartedEventAttributes?.input.payloads[0]?.data ?? '';
  return (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { request: { idempotencyKey: string } }).request.idempotencyKey;
}
