import { z } from 'zod';
import { DescriptionSchema, HrefRefSchema, NameSchema } from './common.ts';
import { ServicePortSchema, type ServicePort } from './services.ts';
import { IpAddressSchema } from './workloads.ts';

export const VirtualServiceCreateSchema = z.object({
  name: NameSchema,
  description: DescriptionSchema.default(''),
  service_ports: z.array(ServicePortSchema).max(1_000).default([]),
  labels: z.array(HrefRefSchema).max(64).default([]),
  ip_overrides: z.array(IpAddressSchema).max(1_000).default([]),
});
export type VirtualServiceCreate = z.infer<typeof VirtualServiceCreateSchema>;

export const VirtualServiceUpdateSchema = z.object({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  service_ports: z.array(ServicePortSchema).max(1_000).optional(),
  labels: z.array(HrefRefSchema).max(64).optional(),
  ip_overrides: z.array(IpAddressSchema).max(1_000).optional(),
});

export interface VirtualService {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly service_ports: readonly ServicePort[];
  readonly labels: readonly { href: string }[];
  readonly ip_overrides: readonly string[];
}
