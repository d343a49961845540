/**
 * What the PCE takes from its environment, passed in (STYLE §1): tests swap the clock and
 * the random source; nothing below main reads globals for these.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

export interface PceEnv {
  readonly now: () => Date;
  readonly randomHex: (bytes: number) => string;
  readonly uuid: () => string;
  readonly log: Logger;
}

export function systemEnv(log: Logger): PceEnv {
  return {
    now: () => new Date(),
    randomHex: (n) => randomBytes(n).toString('hex'),
    uuid: () => randomUUID(),
    log,
  };
}
