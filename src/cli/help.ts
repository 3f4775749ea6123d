// Help texts of the commands that main.ts prints itself. Imports nothing heavy (no Temporal
// worker, no Cedar, no pg), so that `actiongate --help` and `actiongate <command> --help` are fast.
import { ENVIRONMENT_HELP, environmentHelp } from './config.js';

/** The exit status of `submit --fail-on-refusal` when the action was refused or not carried out. */
export const REFUSED_EXIT_CODE = 3;

export const MAIN_HELP = `Usage: actiongate <command> [options]

A deterministic policy gate in front of every external action an agent takes.

Commands:
  start [--once]      start Temporal, Postgres and a worker on this machine and run a demo
  worker              run a worker (workflow + authorize, receipt and dispatch activities)
  submit [FILE|-]     submit one ActionRequest and print the result as JSON (--fail-on-refusal: exit 3 unless carried out)
  serve               the HTTP API for agents (POST /v1/actions, OpenAPI at /openapi.json), with authentication
  db migrate          apply the database migrations
  policy <sub>        policy sets and bundles: test, build, publish, activate, list, show, diff
  keys <sub>          signing keys: generate, export
  replay KEY          decide a recorded action again from its archived request and bundle
  receipts <sub>      the signed receipt log: export (JSONL), show KEY, unsettled
  checkpoint          print the receipt log's signed checkpoint (C2SP note, Merkle root) to keep elsewhere
  witness             hold the log's last checkpoint, co-sign a newer one only when it provably extends it
  verify [FILE|-]     check signed receipts or a receipt export with public keys only
  approvals pending   actions waiting for operators (step-up approval or break-glass), with who counted
  stats               outcome mix per surface and policy version; exit 1 on a shift the alert would flag
  approve KEY         sign an operator's approval of a step-up and send it (--operator, --key, --reason)
  reject KEY          sign an operator's rejection of a step-up or break-glass: the action ends DENY
  break-glass KEY     sign an operator's override of a policy DENY whose request asked for break-glass
  mcp --config FILE   an MCP gateway (stdio, or Streamable HTTP with --http PORT) whose tool calls are governed actions

Run \`actiongate <command> --help\` for a command's options.

${ENVIRONMENT_HELP}`;

export const START_HELP = `Usage: actiongate start [--once]   (npm start -- [--once])

Starts ActionGate on this machine and runs a scripted demo against it:
  - Temporal: TEMPORAL_ADDRESS if set, else a Temporal dev server (UI on http://localhost:8233,
    state in ACTIONGATE_DATA_DIR/temporal.sqlite), installing the Temporal CLI if missing;
  - Postgres: DATABASE_URL if set, else an embedded Postgres with its data in ACTIONGATE_DATA_DIR;
  - a worker with the policies in ACTIONGATE_POLICIES, and a demo external system on localhost
    that records what each surface's connector sends it.
The demo submits, each signed by its agent's demo key, a permitted payment, a denied one, an
unknown surface, a duplicate, a payment signed with another agent's key (SILENCE bad_signature),
an agent claiming to be a human (SILENCE unknown_actor), and a payment through a gate whose
policy store hangs (DENY gate_timeout), a payment to a new payee that waits for approval
(STEP_UP, approved by the demo operators olivia and omar), and a production change without a
ticket overridden by break-glass (DENY, overridden by sam), and a payment over the HTTP API (an
agent with the demo API key, attested by the demo gateway key), then prints a table, the receipts
of the operator steps and the Temporal UI link. It then keeps running until Ctrl-C, with the HTTP
API on 127.0.0.1:ACTIONGATE_API_PORT (default 8080; another free port when that one is taken).

Options:
  --once   run the demo, shut down and exit (0 when every outcome was the expected one)

${environmentHelp(['temporal', 'database', 'ACTIONGATE_TASK_QUEUE', 'ACTIONGATE_POLICIES', 'ACTIONGATE_DATA_DIR', 'ACTIONGATE_API_PORT'])}`;

export const WORKER_HELP = `Usage: actiongate worker

Runs an ActionGate worker until SIGINT or SIGTERM, then finishes in-flight tasks and exits.
At start it waits for Postgres for as long as it takes (a line per attempt, 1 s to 30 s
apart; SIGINT or SIGTERM ends the wait with exit 0), applies database migrations, registers
the search attributes ActionSurface, ActionOutcome, ActionActor, PolicyDigest, ActionOperators,
ActionDispatch and ActionReasons (waiting up
to 60 s for a Temporal server or namespace that is still starting), and loads the policies.
Policies that cannot be loaded do not stop the worker: every action is then answered SILENCE
(policy_unavailable). A connector secret the policies name (a header's environment variable or
file in surfaces.json) that is missing does stop it, with a message naming the surface, the
header and the variable or file; a bundle activated later with a missing secret is rejected. A Postgres connection lost while running does not stop it either: the
action in flight is retried or refused (receipt_store_unavailable).

With ACTIONGATE_HTTP_PORT set, it serves GET /healthz (200 while the process runs), GET /readyz
(200 when the worker polls, Postgres answers and the policies are loaded; else 503, with
{"ready": false, "checks": {...}} naming the failing check) and GET /metrics (Prometheus: the
gate's metrics and the Temporal SDK's, docs/OPERATIONS.md "Metrics") on that port, all interfaces.
Its log is one JSON line per event on standard error (ACTIONGATE_LOG_FORMAT=pretty for people).

Logs: one event a line on standard error, JSON by default (level, time, msg and flat fields:
idempotencyKey, surface, outcome, workflowId, runId where they apply), the Temporal SDK's and
core's events included; ACTIONGATE_LOG_FORMAT=pretty for human lines, ACTIONGATE_LOG_LEVEL to
change the level (default info).

Checkpoints: with ACTIONGATE_RECEIPT_KEY and ACTIONGATE_CHECKPOINT_PUBLISH set (a file path, or an
http(s) URL the note is PUT to; redirects are not followed), after each checkpoint of the receipt
log (every 100 receipts, and with the first receipt a minute after the last) the worker brings the
stored Merkle tree up to the log and writes the checkpoint note (C2SP, origin ACTIONGATE_LOG_ORIGIN)
there, once per size across all workers; also at start, for one a crash left unpublished. A
failed write is retried with backoff (1 s to 60 s) and logged; it never holds up an action.

Traces: off by default. With OTEL_TRACES_EXPORTER=otlp (or an OTLP endpoint set), the worker
exports OpenTelemetry spans over OTLP/HTTP: the workflow run, its updates and every activity
(decide, dispatch, ...), joined to the trace of the client that submitted the action. The workflows
are then bundled at start (seconds) with the tracing interceptors, instead of the prebuilt bundle.

Where the policies come from:
  ACTIONGATE_BUNDLE_KEYS set     the bundle store (\`actiongate policy publish\`, \`policy activate\`):
                                 the active signed bundle, verified against that key set; a new
                                 activation is picked up within seconds, without a restart, and
                                 connectors follow the bundle's surfaces.json. A bundle that does
                                 not verify is never used (logged as POLICY BUNDLE REJECTED).
  otherwise                      the policy directory ACTIONGATE_POLICIES, unsigned, read once at
                                 start (development mode).

${environmentHelp(['temporal', 'database', 'ACTIONGATE_TASK_QUEUE', 'ACTIONGATE_POLICIES', 'ACTIONGATE_BUNDLE_KEYS', 'ACTIONGATE_RECEIPT_KEY', 'ACTIONGATE_LOG_ORIGIN', 'ACTIONGATE_CHECKPOINT_PUBLISH', 'ACTIONGATE_HTTP_PORT', 'ACTIONGATE_LOG_LEVEL', 'ACTIONGATE_LOG_FORMAT', 'otel'])}`;

export const SUBMIT_HELP = `Usage: actiongate submit [FILE|-] [--key KEYFILE] [--no-wait] [--fail-on-refusal]

Submits one ActionRequest (JSON, from FILE or standard input) and prints the result as JSON on
standard output: outcome (PERMIT, DENY, SILENCE or STEP_UP), reasons, detail (why a refusal was
made, when the reason alone does not say), policy digest, receipts and what dispatch did.
Submitting the same request again prints the first result; nothing is dispatched twice.
Amounts in the sample policies are integer minor units: "amount": 12000 is 120.00.

While it waits, standard error says what the action is waiting for: operators (a STEP_UP, or a
DENY whose request asked for break-glass: who must approve, until when, the command they run) or
a dispatch that is being retried (attempt number and the last error).

Options:
  --key KEYFILE      sign the request with the actor's private key file (actiongate keys generate
                     --purpose request; for the sample principals, actiongate keys demo ID);
                     the key must be listed for the actor in principals.json. Without it the
                     request is unsigned: SILENCE (bad_signature) on every surface but a shadow
                     surface that accepts unsigned requests
  --no-wait          print the decision as soon as it is on record, without waiting for dispatch
  --fail-on-refusal  exit ${REFUSED_EXIT_CODE} unless the action was carried out: the final answer is
                     DENY, SILENCE or a STEP_UP not approved, or dispatch did not succeed (with
                     --no-wait: unless the decision is PERMIT)

Exit status: 0 when a decision was reached (whatever the outcome; with --fail-on-refusal only
when it was carried out), ${REFUSED_EXIT_CODE} for a refusal under --fail-on-refusal, 2 for an invalid
request (standard error names every bad field), 1 for anything else.

${environmentHelp(['temporal', 'ACTIONGATE_TASK_QUEUE', 'ACTIONGATE_API_TOKEN'])}`;

export const DB_MIGRATE_HELP = `Usage: actiongate db migrate [--grant ROLE]

Applies ActionGate's SQL migrations (src/store/migrations) to DATABASE_URL. Idempotent; workers
also run it at start (a worker connected as the application role needs an up-to-date database:
it creates nothing).

Options:
  --grant ROLE   then grant the application role ROLE what workers need, and no more: read and
                 append receipts, checkpoints and policy bundles, move the log's head; never
                 update, delete or create. Run as the owner of the database (docker-compose.yml's
                 actiongate-migrate job does); ROLE must exist.

${environmentHelp(['database'])}`;

export const MCP_HELP = `Usage: actiongate mcp --config FILE [--http PORT [--host HOST]] [--api URL]

Runs an MCP server (the MCP gateway) in front of upstream MCP servers. It offers the tools FILE
names, as their upstreams list them; every tools/call becomes a governed action of FILE's actor,
signed with its key: surface and action from FILE, target and context taken from the arguments
by FILE's mapping, the arguments as the payload, the idempotency key from an argument FILE names
or derived from the call (the same call gets the same key, so a repeat is answered from the
first and never carried out twice). Only a PERMIT reaches the upstream tool, through the
worker's MCP connector for the surface (surfaces.json: "connector": {"kind": "mcp", ...}); the
tool's answer comes back as the call's result. DENY, SILENCE, a STEP_UP still waiting and a tool
that failed come back as a tool error (isError) saying the outcome, the reasons, the receipt ids
and the idempotency key. The format of FILE and what a model sees: docs/API.md ("MCP gateway").

Over stdio (the default) it serves until standard input ends; standard output carries MCP only,
messages go to standard error. With --http it serves Streamable HTTP at http://HOST:PORT/mcp
(stateless) until SIGINT or SIGTERM. It has no authentication: whoever reaches it acts as FILE's
actor. On a loopback host it refuses requests whose Host is not its own (DNS rebinding), and on
any host requests from a browser page (an Origin other than its own).

Options:
  --config FILE   the gateway's configuration (JSON; every bad field is named, exit 2). Its
                  "key" is read at start (relative to FILE), and so are the upstreams' header
                  secrets ({ "env": ... } or { "file": ... }; a missing one: exit 1)
  --http PORT     serve Streamable HTTP on PORT instead of stdio (0 picks a free port; the URL
                  is printed on standard error)
  --host HOST     the address --http listens on (default 127.0.0.1)
  --api URL       submit through the HTTP API at URL (actiongate serve) with ACTIONGATE_API_TOKEN,
                  instead of Temporal: the gateway then holds no Temporal credentials

Exit status: 0 when stopped, 2 for a usage error or an invalid FILE or key file, 1 otherwise.

${environmentHelp(['temporal', 'ACTIONGATE_TASK_QUEUE', 'ACTIONGATE_API_TOKEN'])}`;
