import { z } from 'zod';
import { DescriptionSchema, HrefRefSchema, NameSchema } from './common.ts';

export const BUILTIN_LABEL_KEYS = ['role', 'app', 'env', 'loc'] as const;

export const LabelKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'a label key is 1–32 lowercase letters, digits or _, starting with a letter');

export const LabelCreateSchema = z.object({
  key: LabelKeySchema,
  value: z.string().trim().min(1, 'must not be empty').max(255),
});
export type LabelCreate = z.infer<typeof LabelCreateSchema>;

export const LabelUpdateSchema = z.object({
  value: z.string().trim().min(1, 'must not be empty').max(255).optional(),
});
export type LabelUpdate = z.infer<typeof LabelUpdateSchema>;

export interface Label {
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export const LabelDimensionCreateSchema = z.object({
  key: LabelKeySchema,
  display_name: NameSchema.optional(),
});
export type LabelDimensionCreate = z.infer<typeof LabelDimensionCreateSchema>;

export const LabelDimensionUpdateSchema = z.object({ display_name: NameSchema.optional() });

export interface LabelDimension {
  readonly key: string;
  readonly display_name: string;
  readonly builtin: boolean;
  readonly created_at: string;
}

/** Label groups are policy objects (draft/active). */
export const LabelGroupCreateSchema = z.object({
  key: LabelKeySchema,
  name: NameSchema,
  description: DescriptionSchema.optional(),
  labels: z.array(HrefRefSchema).max(10_000).default([]),
  sub_groups: z.array(HrefRefSchema).max(1_000).default([]),
});
export type LabelGroupCreate = z.infer<typeof LabelGroupCreateSchema>;

export const LabelGroupUpdateSchema = z.object({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  labels: z.array(HrefRefSchema).max(10_000).optional(),
  sub_groups: z.array(HrefRefSchema).max(1_000).optional(),
});

export interface LabelGroup {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly labels: readonly { href: string }[];
  readonly sub_groups: readonly { href: string }[];
}
