import { z } from 'zod';
import { parseCidr, parseIp } from '../ip.ts';
import {
  DescriptionSchema,
  EnforcementModeSchema,
  HrefRefSchema,
  NameSchema,
  OS_TYPES,
  VisibilityLevelSchema,
  type EnforcementMode,
  type OsType,
  type VisibilityLevel,
} from './common.ts';

export const IpAddressSchema = z.string().refine((s) => parseIp(s) !== undefined, 'must be an IPv4 or IPv6 address');
export const CidrSchema = z
  .string()
  .refine((s) => parseCidr(s) !== undefined, 'must be a CIDR such as 192.0.2.0/24 with zero host bits');

export const InterfaceSchema = z.object({
  name: z.string().trim().min(1).max(64),
  address: IpAddressSchema,
  /** Prefix length of the interface's network, as Illumio reports it. */
  cidr_block: z.number().int().min(0).max(128).optional(),
});
export type Interface = z.infer<typeof InterfaceSchema>;

const workloadFields = {
  // Nullable: the API renders an unset name/hostname as null and clients PUT back what they GET.
  name: NameSchema.nullable().optional(),
  hostname: z.string().trim().min(1).max(255).nullable().optional(),
  description: DescriptionSchema.optional(),
  interfaces: z.array(InterfaceSchema).max(256).optional(),
  public_ip: IpAddressSchema.nullable().optional(),
  os_type: z.enum(OS_TYPES).optional(),
  /** For Windows: the server release (`2008`, `2012`, `2016`, `2019`, `2022`); free text otherwise. */
  os_version: z.string().max(64).optional(),
  labels: z.array(HrefRefSchema).max(64).optional(),
  enforcement_mode: EnforcementModeSchema.optional(),
  visibility_level: VisibilityLevelSchema.optional(),
};

export const WorkloadCreateSchema = z
  .object(workloadFields)
  .refine((w) => (w.name ?? undefined) !== undefined || (w.hostname ?? undefined) !== undefined, {
    message: 'a workload needs a name or a hostname',
    path: ['hostname'],
  });
export type WorkloadCreate = z.infer<typeof WorkloadCreateSchema>;

export const WorkloadUpdateSchema = z.object(workloadFields);
export type WorkloadUpdate = z.infer<typeof WorkloadUpdateSchema>;

export interface Workload {
  readonly id: string;
  readonly name: string | null;
  readonly hostname: string | null;
  readonly description: string;
  readonly interfaces: readonly Interface[];
  readonly public_ip: string | null;
  readonly os_type: OsType;
  readonly os_version: string;
  /** Label ids, at most one per key. */
  readonly labels: readonly number[];
  readonly enforcement_mode: EnforcementMode;
  readonly visibility_level: VisibilityLevel;
  /** Set when a VEN is paired; unmanaged workloads have none. */
  readonly ven_id: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}
