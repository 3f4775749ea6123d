import { ActionGateClient } from '../../client/actiongate-client.js';
import { ClientError } from '../../client/client-error.js';
import { RequestError } from '../../request/request-error.js';
import { parseActionRequest } from '../../request/action-request.js';
import { CliError } from '../cli-error.js';
import { readInput } from '../read-input.js';
import { connectClient } from '../connect.js';
import { ENVIRONMENT_HELP, type ActionGateConfig } from '../config.js';
import { readKeyOption } from '../read-key-option.js';

export const SUBMIT_HELP = `Usage: actiongate submit [FILE|-] [--key KEYFILE] [--no-wait]

Submits one ActionRequest (JSON, from FILE or standard input) and prints the result as JSON on
standard output: outcome (PERMIT, DENY or SILENCE), reasons, policy digest, receipts and what
dispatch did. Submitting the same request again prints the first result; nothing is dispatched twice.

Options:
  --key KEYFILE  sign the request with the actor's private key file (actiongate keys generate
                 --purpose request); the key must be listed for the actor in principals.json.
                 Without it the request is unsigned: SILENCE (bad_signature) on every surface
                 but a shadow surface that accepts unsigned requests
  --no-wait      print the decision as soon as it is on record, without waiting for dispatch

Exit status: 0 when a decision was reached (whatever the outcome), 2 for an invalid request
(standard error names every bad field), 1 for anything else.

${ENVIRONMENT_HELP}`;

export async function submitCommand(
  config: ActionGateConfig,
  args: { file: string | undefined; wait: boolean; key?: string | undefined },
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream },
): Promise<number> {
  const text = await readInput(args.file, io.stdin);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError('INVALID_INPUT', `the input is not JSON: ${(err as Error).message}`);
  }
  try {
    parseActionRequest(json); // validate before connecting: bad input never reaches Temporal
  } catch (err) {
    if (err instanceof RequestError) throw new CliError('INVALID_INPUT', err.message, { issues: err.issues });
    throw err;
  }
  const signer = args.key === undefined ? undefined : await readKeyOption(args.key);
  const { client, connection } = await connectClient(config);
  try {
    const gate = new ActionGateClient({ client, taskQueue: config.taskQueue, ...(signer ? { signer } : {}) });
    const submitted = await gate.submit(json);
    const output = args.wait ? await submitted.result() : submitted.decision;
    io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ClientError) {
      throw new CliError(err.code === 'TEMPORAL_UNAVAILABLE' ? 'UNAVAILABLE' : 'FAILED', `${err.code}: ${err.message}`);
    }
    throw err;
  } finally {
    await connection.close();
  }
}
