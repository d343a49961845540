/** What the VEN reports about its host at activation and in heartbeats (DESIGN §2 workloads). */
import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import type { HostInterface } from '../channel/agent-client.ts';

export interface HostFacts {
  readonly hostname: string;
  readonly os_type: 'linux';
  readonly os_version: string;
  readonly interfaces: readonly HostInterface[];
}

/** Interface addresses, loopback and link-local IPv6 left out (they identify nothing off-host). */
export function hostInterfaces(): HostInterface[] {
  const out: HostInterface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80'))) continue;
      const prefix = a.cidr ? Number(a.cidr.slice(a.cidr.indexOf('/') + 1)) : NaN;
      out.push({ name, address: a.address, ...(Number.isInteger(prefix) ? { cidr_block: prefix } : {}) });
    }
  }
  return out.sort((x, y) => (x.name === y.name ? (x.address < y.address ? -1 : 1) : x.name < y.name ? -1 : 1));
}

async function osVersion(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return (m?.[1] ?? 'Linux').slice(0, 128);
  } catch {
    return 'Linux';
  }
}

export async function hostFacts(): Promise<HostFacts> {
  return { hostname: hostname(), os_type: 'linux', os_version: await osVersion(), interfaces: hostInterfaces() };
}
