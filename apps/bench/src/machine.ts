/** A description of the machine the numbers came from. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the report prints about the host. */
export interface MachineInfo {
  cpuModel: string;
  /** Logical cores Node may use. */
  cores: number;
  node: string;
  platform: string;
  memoryGiB: number;
  /** Exact versions of the peers, from this package's manifest. */
  peers: Record<string, string>;
  /** WebAssembly features of the run (absent in runs saved before it was recorded). */
  wasm?: string;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function peerVersions(): Record<string, string> {
  const manifest = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as {
    dependencies?: Record<string, string>;
  };
  const out: Record<string, string> = {};
  for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
    if (!version.startsWith('workspace:')) out[name] = version;
  }
  return out;
}

/** Collects the host description. */
export function machineInfo(wasm?: string): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch} (${os.release()})`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    peers: peerVersions(),
    wasm,
  };
}
