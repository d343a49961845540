/**
 * How much of the machine's CPU the hypervisor stole during a measurement. This VM shares its
 * host: when a vCPU is stolen (runnable, but the host runs something else) the processes on
 * it neither run nor wait in this kernel's run queue, so a figure gets worse while the
 * process looks idle. The benches print the steal share beside their figures, so a run can be
 * read against the machine it ran on.
 */
import { readFileSync } from 'node:fs';

interface Ticks {
  readonly total: number;
  readonly steal: number;
}

/** Ticks of one CPU (`cpu1`) or of all (`cpu`) from /proc/stat: all of them and the stolen ones. */
function ticks(cpu: string): Ticks {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`${cpu} `)) ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return { total: 0, steal: 0 };
  }
}

/** Starts measuring; the function it answers gives the stolen share since, as "12%" (or "?"). */
export function stealMeter(cpu = 'cpu'): () => string {
  const before = ticks(cpu);
  return () => {
    const after = ticks(cpu);
    const total = after.total - before.total;
    return total > 0 ? `${(((after.steal - before.steal) / total) * 100).toFixed(0)}%` : '?';
  };
}
