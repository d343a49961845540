/** Interface facts read from sysfs (kept in `sys` with the other host reads the daemon depends on). */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface InterfaceMtu {
  readonly name: string;
  readonly mtu: number;
}

/** `/sys/class/net/<if>/mtu` of every interface but loopback. */
export async function interfaceMtus(root = '/sys/class/net'): Promise<InterfaceMtu[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: InterfaceMtu[] = [];
  for (const name of names.sort()) {
    if (name === 'lo') continue;
    try {
      const mtu = Number((await readFile(join(root, name, 'mtu'), 'utf8')).trim());
      if (Number.isInteger(mtu)) out.push({ name, mtu });
    } catch {
      // an interface that went away while we read
    }
  }
  return out;
}
