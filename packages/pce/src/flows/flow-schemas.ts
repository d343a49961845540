/** Validation of flow batches from agents and of traffic queries (DESIGN §8: outside input). */
import { z } from 'zod';
import { parseAddress } from '@palisade/core/compute/address-ranges.ts';
import { parseCidr } from '@palisade/core/ip.ts';

export const MAX_FLOWS_PER_BATCH = 10_000;
/** Illumio's ceiling for an async traffic query. */
export const MAX_QUERY_RESULTS = 100_000;

const PORTED = new Set([6, 17, 132]);

const ip = z.string().refine((s) => parseAddress(s) !== undefined, 'not an IPv4 or IPv6 address');
const iso = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'not an ISO 8601 timestamp (e.g. 2026-01-01T00:00:00Z)');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const FlowSchema = z
  .object({
    src_ip: ip,
    dst_ip: ip,
    proto: z.number().int().min(0).max(255),
    dst_port: z.number().int().min(0).max(65535).optional(),
    direction: z.enum(['inbound', 'outbound']),
    first_seen: iso,
    last_seen: iso,
    connections: z.number().int().min(1).max(2_147_483_647),
    state: z.enum(['allowed', 'blocked', 'potentially_blocked']),
    bytes_in: count.optional(),
    bytes_out: count.optional(),
  })
  .refine((f) => !PORTED.has(f.proto) || f.dst_port !== undefined, { message: 'dst_port is required for TCP, UDP and SCTP', path: ['dst_port'] })
  .refine((f) => Date.parse(f.first_seen) <= Date.parse(f.last_seen), { message: 'first_seen is after last_seen', path: ['first_seen'] });

export const FlowBatchSchema = z.object({
  batch_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'batch_id is a UUID (letters, digits and -)'),
  dropped: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  flows: z.array(FlowSchema).max(MAX_FLOWS_PER_BATCH, `at most ${MAX_FLOWS_PER_BATCH} flows per batch; send the rest in another batch`),
});
export type FlowBatch = z.output<typeof FlowBatchSchema>;

const href = z.object({ href: z.string().min(1).max(512) });
const ipOrCidr = z.string().max(64).refine((s) => parseCidr(s) !== undefined, 'not an IPv4 or IPv6 address or a CIDR with zero host bits (e.g. 10.0.0.0/8)');
/** Illumio's actors of a traffic query; a label group matches any of its labels (sub-groups included), an IP list any of its ranges. */
export const ActorSchema = z.union([
  z.object({ label: href }).strict(),
  z.object({ label_group: href }).strict(),
  z.object({ workload: href }).strict(),
  z.object({ ip_list: href }).strict(),
  z.object({ ip_address: ipOrCidr }).strict(),
]);
export type Actor = z.output<typeof ActorSchema>;

const actors = z.object({
  include: z.array(z.array(ActorSchema).max(100)).max(100).default([]),
  exclude: z.array(ActorSchema).max(100).default([]),
});

const ServiceTermSchema = z
  .object({
    proto: z.number().int().min(0).max(255).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    to_port: z.number().int().min(0).max(65535).optional(),
  })
  .refine((s) => s.to_port === undefined || (s.port !== undefined && s.port <= s.to_port), { message: 'to_port needs a port no greater than it', path: ['to_port'] });

export const TrafficQuerySchema = z
  .object({
    query_name: z.string().max(255).default(''),
    sources: actors.default({ include: [], exclude: [] }),
    destinations: actors.default({ include: [], exclude: [] }),
    services: z.object({ include: z.array(ServiceTermSchema).max(100).default([]), exclude: z.array(ServiceTermSchema).max(100).default([]) }).default({ include: [], exclude: [] }),
    /** Illumio's: whether a flow must match the sources and the destinations (`and`) or either (`or`). */
    sources_destinations_query_op: z.enum(['and', 'or']).default('and'),
    policy_decisions: z.array(z.enum(['allowed', 'potentially_blocked', 'blocked', 'unknown'])).max(4).default([]),
    start_date: iso.optional(),
    end_date: iso.optional(),
    max_results: z.number().int().min(0).max(MAX_QUERY_RESULTS).default(MAX_QUERY_RESULTS),
  })
  .refine((q) => q.start_date === undefined || q.end_date === undefined || Date.parse(q.start_date) <= Date.parse(q.end_date), { message: 'start_date is after end_date', path: ['start_date'] });
export type TrafficQuery = z.output<typeof TrafficQuerySchema>;
