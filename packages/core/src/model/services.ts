import { z } from 'zod';
import { DescriptionSchema, NameSchema } from './common.ts';

export const ALL_SERVICES_NAME = 'All Services';
export const PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 } as const;
const PORTED = new Set<number>([PROTO.tcp, PROTO.udp, PROTO.sctp]);
const ICMP = new Set<number>([PROTO.icmp, PROTO.icmpv6]);

/** A port/protocol entry: `proto` is the IANA number, -1 for every protocol. */
export const ServicePortSchema = z
  .object({
    proto: z.number().int().min(-1).max(255),
    port: z.number().int().min(0).max(65535).optional(),
    to_port: z.number().int().min(0).max(65535).optional(),
    icmp_type: z.number().int().min(0).max(255).optional(),
    icmp_code: z.number().int().min(0).max(255).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.port !== undefined || p.to_port !== undefined) && !PORTED.has(p.proto)) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: `ports apply to TCP (6), UDP (17) and SCTP (132) only, not to protocol ${p.proto}` });
    }
    if (p.to_port !== undefined && p.port === undefined) {
      ctx.addIssue({ code: 'custom', path: ['to_port'], message: 'to_port needs port' });
    }
    if (p.to_port !== undefined && p.port !== undefined && p.to_port < p.port) {
      ctx.addIssue({ code: 'custom', path: ['to_port'], message: 'to_port must not be lower than port' });
    }
    if ((p.icmp_type !== undefined || p.icmp_code !== undefined) && !ICMP.has(p.proto)) {
      ctx.addIssue({ code: 'custom', path: ['icmp_type'], message: 'icmp_type and icmp_code apply to ICMP (1) and ICMPv6 (58) only' });
    }
    if (p.icmp_code !== undefined && p.icmp_type === undefined) {
      ctx.addIssue({ code: 'custom', path: ['icmp_code'], message: 'icmp_code needs icmp_type' });
    }
  });
export type ServicePort = z.infer<typeof ServicePortSchema>;

export const ServiceCreateSchema = z.object({
  name: NameSchema,
  description: DescriptionSchema.optional(),
  service_ports: z.array(ServicePortSchema).min(1, 'a service needs at least one port/protocol').max(1_000),
});
export type ServiceCreate = z.infer<typeof ServiceCreateSchema>;

export const ServiceUpdateSchema = z.object({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  service_ports: z.array(ServicePortSchema).min(1).max(1_000).optional(),
});

export interface Service {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly service_ports: readonly ServicePort[];
  readonly builtin?: boolean;
}
