// The alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard, checked with the real
// Prometheus tooling: Debian's promtool (src/devstack/prometheus-tools.ts unpacks it into .tools/
// when it is not on PATH) runs `check rules`, `check config` and the unit tests in alerts.test.yml.
// The metric contract the worker exports is written out here, so a rename on either side fails.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findOrInstallPrometheusTools, type PrometheusTools } from '../../src/devstack/prometheus-tools.js';
import { runCommand } from '../../src/devstack/pip-install.js';
import { REPO_ROOT } from '../support/paths.js';

/** The worker's metrics (issue 13): name → type. Histograms also expose _bucket, _sum and _count. */
const CONTRACT: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  actiongate_decisions_total: 'counter',
  actiongate_gate_refusals_total: 'counter',
  actiongate_gate_evaluation_seconds: 'histogram',
  actiongate_gate_budget_seconds: 'gauge',
  actiongate_decision_latency_seconds: 'histogram',
  actiongate_receipt_append_seconds: 'histogram',
  actiongate_receipt_append_failures_total: 'counter',
  actiongate_dispatch_total: 'counter',
  actiongate_dispatch_attempts: 'histogram',
  actiongate_policy_bundle_info: 'gauge',
  actiongate_policy_bundle_loaded_timestamp_seconds: 'gauge',
  actiongate_operator_events_total: 'counter',
  actiongate_break_glass_used_total: 'counter',
  actiongate_checkpoint_published_size: 'gauge',
  actiongate_receipt_tree_size: 'gauge',
  actiongate_checkpoint_publish_failures_total: 'counter',
};
/** Label values of the contract that the rules may select on. */
const LABEL_VALUES: Record<string, string[]> = {
  outcome: ['PERMIT', 'DENY', 'SILENCE', 'STEP_UP'],
  reason_class: ['policy', 'gate_timeout', 'policy_unavailable', 'receipt_store_unavailable', 'evaluation_error', 'schema_violation', 'identity', 'unknown_surface', 'expired'],
  cause: ['gate_timeout', 'policy_unavailable', 'receipt_store_unavailable', 'evaluation_error'],
  status: ['succeeded', 'failed'],
  kind: ['approval', 'override', 'decision', 'outcome'],
  verification: ['verified', 'unsigned', 'unavailable'],
  job: ['actiongate-worker'],
};
/** Series Prometheus itself makes. */
const PROMETHEUS_SERIES = ['up', 'ALERTS'];
/** Alerts about a worker or the receipt store as a whole: they have no surface label to name. */
const NOT_PER_SURFACE = ['ActionGateWorkerDown', 'ActionGateWorkersAbsent', 'ActionGatePolicyBundleMissing', 'ActionGateReceiptStoreFailing', 'ActionGateCheckpointPublishFailing'];
const DASHBOARD_ROWS = ['Gate health', 'Policy evaluation', 'Outcome mix per surface'];

const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy', 'prometheus');
const RULES_FILE = join(PROMETHEUS_DIR, 'alerts.yml');
const RULES_TEST_FILE = join(PROMETHEUS_DIR, 'alerts.test.yml');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTests {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

const RULES = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const ALERTS = RULES.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const RECORDED = RULES.flatMap((r) => (r.record ? [r.record] : []));

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** The metric names a PromQL expression selects (functions, grouping labels and matchers left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]');
  const names = [...bare.matchAll(/(?<![\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)].map((m) => m[1] as string);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase()) && !/^(group_left|group_right)$/.test(n)))];
}

/** Every `label op "value"` matcher in an expression, the regex ones split on `|`. */
function matchers(expr: string): Array<{ label: string; value: string }> {
  return [...expr.matchAll(/([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].flatMap((m) =>
    (m[2]?.includes('~') ? (m[3] ?? '').split('|') : [m[3] ?? '']).map((value) => ({ label: m[1] as string, value })),
  );
}

function contractName(name: string): boolean {
  if (CONTRACT[name] !== undefined) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && CONTRACT[base] === 'histogram';
}

let tools: PrometheusTools;
let scratch: string;

beforeAll(async () => {
  tools = await findOrInstallPrometheusTools({ toolsDir: join(REPO_ROOT, '.tools'), log: (line) => console.error(`[prometheus-tools] ${line}`) });
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-alerts-'));
}, 600_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function promtool(...args: string[]) {
  return runCommand(tools.promtool, args, process.env, 120_000);
}

describe('when promtool reads the rules', () => {
  it('accepts alerts.yml (`promtool check rules`)', async () => {
    const result = await promtool('check', 'rules', RULES_FILE);
    expect(result.ok ? '' : result.problem).toBe('');
  });

  it('accepts the compose Prometheus config and the rule files it loads (`promtool check config`)', async () => {
    const result = await promtool('check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml'));
    expect(result.ok ? '' : result.problem).toBe('');
    if (result.ok) expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes the unit tests in alerts.test.yml (`promtool test rules`)', async () => {
    const result = await promtool('test', 'rules', RULES_TEST_FILE);
    expect(result.ok ? '' : result.problem).toBe('');
  });
});

describe('when the unit tests are weighed', () => {
  const tests = (parse(readFileSync(RULES_TEST_FILE, 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test ?? []);

  it.each(ALERTS.map((a) => a.alert))('shows %s both firing and not firing', (name) => {
    const cases = tests.filter((t) => t.alertname === name);
    expect(cases.some((t) => (t.exp_alerts ?? []).length > 0), 'a case where it fires').toBe(true);
    expect(cases.some((t) => (t.exp_alerts ?? []).length === 0), 'a case where it does not').toBe(true);
  });

  // Proof the tests bite: a rule weakened in a copy of alerts.yml makes `promtool test rules` fail.
  it.each([
    ['the outcome shift without its minimum-traffic guard', 'and on (surface)\n          surface:actiongate_decisions:rate5m * 300 >= 10', ''],
    ['the slow-gate threshold at 120% of the budget instead of 80%', '0.8 * max by (surface) (actiongate_gate_budget_seconds)', '1.2 * max by (surface) (actiongate_gate_budget_seconds)'],
    ['break-glass without the first-use clause', 'sum by (surface) (increase(actiongate_break_glass_used_total[15m])) > 0\n          or\n', 'sum by (surface) (increase(actiongate_break_glass_used_total[15m])) > 0\n          or vector(0) < 0 or\n'],
  ])('fails with %s', async (_what, from, to) => {
    const rules = await readFile(RULES_FILE, 'utf8');
    expect(rules).toContain(from);
    const dir = await mkdtemp(join(scratch, 'mutant-'));
    let mutated = rules.replace(from, to);
    if (to.includes('vector(0) < 0')) mutated = mutated.replace(/ or vector\(0\) < 0 or\n\s+sum by \(surface\) \(\(actiongate_break_glass_used_total unless[^\n]*\n/, '\n');
    expect(mutated).not.toBe(rules);
    await writeFile(join(dir, 'alerts.yml'), mutated);
    await copyFile(RULES_TEST_FILE, join(dir, 'alerts.test.yml'));
    expect((await promtool('check', 'rules', join(dir, 'alerts.yml'))).ok).toBe(true);
    const result = await promtool('test', 'rules', join(dir, 'alerts.test.yml'));
    // promtool exits 1 when a unit test fails (a rule file it cannot load would fail `check rules` above).
    expect(result.ok ? 'passed' : result.problem.split('\n')[0]).toBe('exit 1');
  });
});

describe('when the rules are read against the metric contract', () => {
  it('selects only contract metrics, Prometheus own series, and series recorded in alerts.yml', () => {
    for (const rule of RULES) {
      for (const name of metricNames(rule.expr)) {
        const known = contractName(name) || PROMETHEUS_SERIES.includes(name) || RECORDED.includes(name);
        expect(known, `${rule.alert ?? rule.record}: ${name}`).toBe(true);
      }
    }
  });

  it('selects only label values the contract has', () => {
    for (const rule of RULES) {
      for (const { label, value } of matchers(rule.expr)) {
        expect(LABEL_VALUES[label], `${rule.alert ?? rule.record}: label ${label}`).toBeDefined();
        expect(LABEL_VALUES[label], `${rule.alert ?? rule.record}: ${label}="${value}"`).toContain(value);
      }
    }
  });

  it('finds the metric names in an expression (the helper the checks above rely on)', () => {
    expect(metricNames('sum by (surface, le) (rate(actiongate_gate_evaluation_seconds_bucket{surface=~"a|b"}[5m])) > on (surface) 0.8 * max(x:y:z offset 5m) and up == 1')).toEqual([
      'actiongate_gate_evaluation_seconds_bucket',
      'x:y:z',
      'up',
    ]);
    expect(contractName('actiongate_decisions_total_bucket')).toBe(false);
    expect(contractName('actiongate_dispatch_attempts_count')).toBe(true);
  });
});

describe('when each alert is read', () => {
  const runbooks = readFileSync(join(REPO_ROOT, 'docs', 'OPERATIONS.md'), 'utf8');

  it.each(ALERTS.map((a) => [a.alert, a] as const))('%s has a severity, a summary, a description and a runbook heading in docs/OPERATIONS.md', (name, alert) => {
    expect(['critical', 'warning']).toContain(alert.labels?.severity);
    expect(alert.annotations?.summary).toBeTruthy();
    expect(alert.annotations?.description).toBeTruthy();
    expect(alert.annotations?.runbook).toBe(`docs/OPERATIONS.md#${name.toLowerCase()}`);
    expect(runbooks).toMatch(new RegExp(`^#+ ${name}$`, 'm'));
    if (!NOT_PER_SURFACE.includes(name)) {
      expect(alert.annotations?.summary).toContain('{{ $labels.surface }}');
      expect(alert.annotations?.description).toContain('{{ $labels.surface }}');
    }
  });
});

describe('when the Grafana dashboard is read', () => {
  interface Panel {
    type: string;
    title: string;
    targets?: Array<{ expr: string }>;
    panels?: Panel[];
  }
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', 'actiongate.json'), 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: Array<{ name: string; query: { query: string } | string; multi?: boolean; includeAll?: boolean }> };
  };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

  it('has the gate health, policy evaluation and outcome mix rows, in that order, each with panels', () => {
    const rows = dashboard.panels.map((p, i) => [p, i] as const).filter(([p]) => p.type === 'row');
    expect(rows.map(([p]) => p.title)).toEqual(DASHBOARD_ROWS);
    for (const [row, i] of rows) expect(dashboard.panels[i + 1]?.type, row.title).not.toBe('row');
  });

  it('is templated on surface, from the decisions metric', () => {
    const surface = dashboard.templating.list.find((v) => v.name === 'surface');
    expect(surface).toMatchObject({ multi: true, includeAll: true });
    const query = typeof surface?.query === 'string' ? surface.query : surface?.query.query;
    expect(query).toBe('label_values(actiongate_decisions_total, surface)');
  });

  it('queries only contract metrics, Prometheus own series and series recorded in alerts.yml', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const));
    expect(exprs.length).toBeGreaterThan(10);
    for (const [title, expr] of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${title}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(contractName(name) || PROMETHEUS_SERIES.includes(name) || RECORDED.includes(name), `${title}: ${name}`).toBe(true);
    }
  });

  it('filters every per-surface panel by the surface variable', () => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (/actiongate_(decisions|gate_refusals|gate_evaluation|decision_latency|dispatch)/.test(target.expr)) expect(target.expr, panel.title).toMatch(/surface=~?"\$surface"/);
      }
    }
  });
});
