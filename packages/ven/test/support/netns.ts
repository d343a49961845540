/**
 * Throwaway network namespaces for tests (real nftables, STYLE §5). Test code, not agent
 * code: the agent itself never runs `ip netns`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function inNs(ns: string, file: string, args: readonly string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, file, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh namespace with loopback up; the name is unique per call. */
export function createNetns(prefix: string): string {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

export function deleteNetns(name: string): void {
  try {
    ip('netns', 'del', name);
  } catch {
    // already gone
  }
}

/** Skip reason when this machine cannot run the namespace tests (not root, no nft). */
export function netnsUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs nftables and iproute2 (scripts/install-test-deps.sh)';
  }
  return false;
}
