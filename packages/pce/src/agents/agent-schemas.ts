/** Validation of what agents send (DESIGN §8: agent messages are outside input too). */
import { z } from 'zod';
import { OS_TYPES } from '@palisade/core/model/common.ts';
import { InterfaceSchema } from '@palisade/core/model/workloads.ts';

export const ActivateSchema = z.object({
  activation_code: z.string().trim().min(1).max(256),
  hostname: z.string().trim().min(1).max(255),
  os_type: z.enum(OS_TYPES).default('linux'),
  os_version: z.string().max(128).default(''),
  interfaces: z.array(InterfaceSchema).max(256).default([]),
  agent_version: z.string().max(64).default(''),
});

export const AckSchema = z.object({
  delivery: z.number().int().min(0),
  hash: z.string().max(64).optional(),
  status: z.enum(['applied', 'error']),
  message: z.string().max(4096).optional(),
  /** The PSK generation the host now uses (rotation tracking). */
  psk_generation: z.number().int().min(0).optional(),
});

export const HeartbeatSchema = z.object({
  applied_delivery: z.number().int().min(0).optional(),
  sync_state: z.enum(['synced', 'applying', 'error']).optional(),
  message: z.string().max(4096).optional(),
  interfaces: z.array(InterfaceSchema).max(256).optional(),
  suspended: z.boolean().optional(),
  psk_generation: z.number().int().min(0).optional(),
});

/** The host's SecureConnect state per peer, as its charon sees it. */
export const SecureConnectReportSchema = z.object({
  peers: z
    .array(
      z.object({
        workload: z.object({ href: z.string().max(512) }),
        state: z.enum(['up', 'down', 'error']),
        reason: z.string().max(1024).optional(),
        ike_version: z.enum(['ikev1', 'ikev2']).optional(),
      }),
    )
    .max(100_000),
  /** Interfaces whose MTU is above 1400 while SecureConnect is on (DESIGN §4 item 10). */
  mtu_warnings: z.array(z.object({ interface: z.string().max(64), mtu: z.number().int().min(0).max(1_000_000) })).max(256).optional(),
});

export const AgentEventsSchema = z.object({
  events: z
    .array(
      z.object({
        type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'an event type is lowercase letters, digits and _'),
        severity: z.enum(['info', 'warning', 'error']).default('info'),
        message: z.string().max(4096),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .max(100),
});
