#!/usr/bin/env node
// `npm run build`: compiles src/, workflows/ and activities/ to dist/ (JavaScript and declaration
// files, tsconfig.build.json, incremental), copies the files the code reads relative to itself
// (the SQL migrations), and bundles the workflows ahead of time to dist/workflow-bundle.js, which
// the worker loads instead of bundling at every start. Plain JavaScript: it runs before anything
// is built, without tsx.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const started = performance.now();
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

// 1. TypeScript to JavaScript. Incremental: the build info is dist/.tsbuildinfo, so deleting
// dist/ forces a full build.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write('build: tsc failed\n');
  process.exit(compiled.status ?? 1);
}

// 2. Files the code reads at run time relative to its own module (new URL(..., import.meta.url)).
const ASSETS = [{ from: 'src/store/migrations', suffix: '.sql' }];
for (const { from, suffix } of ASSETS) {
  mkdirSync(join(dist, from), { recursive: true });
  for (const name of readdirSync(join(root, from)).filter((n) => n.endsWith(suffix))) {
    copyFileSync(join(root, from, name), join(dist, from, name));
  }
}

// 3. The workflow bundle, from the compiled workflows. Rebuilt only when the compiled JavaScript it
// may include (or the Temporal SDK version) changed: bundling takes seconds, hashing milliseconds.
const bundlePath = join(dist, 'workflow-bundle.js');
const stampPath = join(dist, 'workflow-bundle.sha256');
const hash = createHash('sha256');
const sdk = JSON.parse(readFileSync(join(root, 'node_modules/@temporalio/worker/package.json'), 'utf8'));
hash.update(`@temporalio/worker ${sdk.version}\n`);
for (const file of jsFiles(dist)) hash.update(`${relative(dist, file)}\n`).update(readFileSync(file));
const digest = hash.digest('hex');
if (existsSync(bundlePath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === digest) {
  process.stdout.write(`build: dist/ up to date in ${seconds()} (workflow bundle unchanged)\n`);
} else {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const none = () => undefined;
  const warn = (message) => process.stderr.write(`build: workflow bundler: ${message}\n`);
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(dist, 'workflows', 'index.js'),
    logger: { log: none, trace: none, debug: none, info: none, warn, error: warn },
  });
  writeFileSync(`${bundlePath}.partial`, code);
  renameSync(`${bundlePath}.partial`, bundlePath);
  writeFileSync(stampPath, `${digest}\n`);
  process.stdout.write(`build: dist/ built in ${seconds()} (workflow bundle ${(code.length / 1024).toFixed(0)} KiB)\n`);
}

function jsFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsFiles(path));
    else if (entry.name.endsWith('.js') && path !== bundlePath) out.push(path);
  }
  return out.sort();
}
