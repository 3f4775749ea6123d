// Reads V8 .cpuprofile files (node --cpu-prof) and says where the CPU time went: self time by
// function, and total (inclusive) time by source file, for the bench report's profile section.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { BundleModules } from './bundle-modules.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ThreadProfile {
  file: string;
  /** 0 is the main thread; the workflow thread is the one that runs the workflow bundle. */
  threadId: number;
  role: 'main' | 'workflow' | 'other';
  /** Wall time the profile covers (ms). */
  durationMs: number;
  /**
   * Time in samples other than (idle), (program) and (root), ms. Samples are taken on wall-clock
   * ticks, so a thread preempted while running JS still counts: on a saturated machine this is
   * more than its CPU time. Use it for shares, and /proc for CPU.
   */
  busyMs: number;
  gcMs: number;
  topSelf: ProfileRow[];
  /** Inclusive time by package or repository folder (a frame counts once per sample). */
  byArea: ProfileRow[];
}

/** Where a frame's code lives: an npm package, a repository folder, or a V8/Node category. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native code)';
  if (url.startsWith('wasm://')) return 'wasm';
  if (url.startsWith('evalmachine')) return 'vm scripts (workflow sandbox glue)';
  if (/workflow-bundle-[0-9a-f]+\.js$/.test(url)) return 'workflow bundle (module not known)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node: built-ins';
  const folder = /\/(src\/[^/]+|activities|workflows|bench)\//.exec(url)?.[1];
  return folder ?? url.replace(/^.*\//, '');
}

/**
 * A time window in microseconds of the monotonic clock (process.hrtime.bigint() / 1000n), which is
 * the clock V8 stamps profile samples with, in every process on the machine.
 */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export function summarizeProfile(
  file: string,
  profile: CpuProfile,
  options: { top?: number; window?: ProfileWindow; bundles?: BundleModules[] } = {},
): ThreadProfile {
  const { top = 12, window, bundles = [] } = options;
  // Frames in a workflow bundle are named after the module they come from.
  const sourceOf = (url: string, line: number): string => {
    const bundle = url ? bundles.find((b) => b.file === basename(url)) : undefined;
    return bundle?.moduleAt(line + 1) ?? url;
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });

  const self = new Map<string, number>();
  const area = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, lineNumber } = node.callFrame;
    const url = sourceOf(node.callFrame.url, lineNumber);
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') continue;
    if (functionName === '(garbage collector)') gc += us;
    busy += us;
    const where = url === node.callFrame.url ? `${url.replace(/^.*\/(node_modules\/|main\/)/, '')}:${lineNumber + 1}` : `${url.replace(/^\.\/(node_modules\/)?/, '')} (bundled)`;
    const key = `${functionName || '(anonymous)'} ${url ? where : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
    // Inclusive time per area: walk up the stack once per area.
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const frame = byId.get(node)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const source = sourceOf(frame.url, frame.lineNumber);
      const name = `${areaOf(source, frame.functionName)}${source !== frame.url ? ' (bundled)' : ''}`;
      if (seen.has(name)) continue;
      seen.add(name);
      area.set(name, (area.get(name) ?? 0) + us);
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy ? us / busy : 0 }));
  const threadId = Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? -1);
  const inBundle = profile.nodes.some((n) => /workflow-bundle-[0-9a-f]+\.js$/.test(n.callFrame.url));
  const role = threadId === 0 ? 'main' : inBundle ? 'workflow' : 'other';
  return {
    file,
    threadId,
    role,
    durationMs: window ? (window.toUs - window.fromUs) / 1000 : (profile.endTime - profile.startTime) / 1000,
    busyMs: busy / 1000,
    gcMs: gc / 1000,
    topSelf: rows(self),
    byArea: rows(area),
  };
}

/** Every .cpuprofile in `dir` (one per thread: main, then worker threads), busiest first. */
export async function summarizeProfiles(
  dir: string,
  options: { top?: number; window?: ProfileWindow; bundles?: BundleModules[] } = {},
): Promise<ThreadProfile[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
  const out: ThreadProfile[] = [];
  for (const name of files) {
    const profile = JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile;
    out.push(summarizeProfile(name, profile, options));
  }
  return out.sort((a, b) => b.busyMs - a.busyMs);
}
