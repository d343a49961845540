import { z } from 'zod';
import { parseCidr, parseIp } from '../ip.ts';
import { DescriptionSchema, NameSchema } from './common.ts';

export const ANY_IP_LIST_NAME = 'Any (0.0.0.0/0 and ::/0)';

export const IpRangeSchema = z
  .object({
    from_ip: z.string().max(64),
    to_ip: z.string().max(64).optional(),
    exclusion: z.boolean().default(false),
    description: DescriptionSchema.optional(),
  })
  .superRefine((r, ctx) => {
    const from = parseCidr(r.from_ip);
    if (!from) {
      ctx.addIssue({ code: 'custom', path: ['from_ip'], message: `"${r.from_ip}" is not an IP address or a CIDR with zero host bits` });
      return;
    }
    if (r.to_ip === undefined) return;
    if (r.from_ip.includes('/')) {
      ctx.addIssue({ code: 'custom', path: ['to_ip'], message: 'to_ip cannot be combined with a CIDR from_ip' });
      return;
    }
    const to = parseIp(r.to_ip);
    if (!to || to.family !== from.family) {
      ctx.addIssue({ code: 'custom', path: ['to_ip'], message: `"${r.to_ip}" is not an address of the same family as from_ip` });
    } else if (to.value < from.from) {
      ctx.addIssue({ code: 'custom', path: ['to_ip'], message: 'to_ip must not be lower than from_ip' });
    }
  });
export type IpRangeInput = z.infer<typeof IpRangeSchema>;

export const FqdnSchema = z.object({
  fqdn: z
    .string()
    .max(253)
    .regex(/^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be a domain name such as db.example.com'),
  description: DescriptionSchema.optional(),
});

export const IpListCreateSchema = z.object({
  name: NameSchema,
  description: DescriptionSchema.optional(),
  ip_ranges: z.array(IpRangeSchema).max(50_000).default([]),
  fqdns: z.array(FqdnSchema).max(1_000).default([]),
});
export type IpListCreate = z.infer<typeof IpListCreateSchema>;

export const IpListUpdateSchema = z.object({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  ip_ranges: z.array(IpRangeSchema).max(50_000).optional(),
  fqdns: z.array(FqdnSchema).max(1_000).optional(),
});

export interface IpList {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly ip_ranges: readonly IpRangeInput[];
  readonly fqdns: readonly { fqdn: string; description?: string | undefined }[];
  /** The built-in `Any` list cannot be changed or deleted. */
  readonly builtin?: boolean;
}
