// What the bench ran on, for the report.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Connection } from '@temporalio/client';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  temporalServer: string;
  temporalCli: string | null;
  sdk: string;
  cedarWasm: string;
  loadAverage: string;
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return cpus()[0]?.model ?? 'unknown';
}

export async function machineInfo(connection: Connection, temporalCli: string | null): Promise<MachineInfo> {
  const system = await connection.workflowService.getSystemInfo({});
  let loadAverage = 'unknown';
  try {
    loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    // no /proc
  }
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    ramGiB: totalmem() / 2 ** 30,
    node: process.version,
    temporalServer: system.serverVersion || 'unknown',
    temporalCli,
    sdk: packageVersion('@temporalio/worker'),
    cedarWasm: packageVersion('@cedar-policy/cedar-wasm'),
    loadAverage,
  };
}
