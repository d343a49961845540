import { z } from 'zod';
import { DescriptionSchema, EnforcementModeSchema, HrefRefSchema, NameSchema, VisibilityLevelSchema, type EnforcementMode, type VisibilityLevel } from './common.ts';

const Unlimited = z.literal('unlimited');

const profileFields = {
  name: NameSchema,
  description: DescriptionSchema,
  enabled: z.boolean(),
  labels: z.array(HrefRefSchema).max(64),
  enforcement_mode: EnforcementModeSchema,
  visibility_level: VisibilityLevelSchema,
  /** Seconds an activation code stays valid. */
  key_lifespan: z.union([Unlimited, z.number().int().min(60).max(10 * 365 * 86400)]),
  /** How many hosts one activation code may pair. */
  allowed_uses_per_key: z.union([Unlimited, z.number().int().min(1).max(1_000_000)]),
};

export const PairingProfileCreateSchema = z.object({
  ...profileFields,
  description: profileFields.description.default(''),
  enabled: profileFields.enabled.default(true),
  labels: profileFields.labels.default([]),
  enforcement_mode: profileFields.enforcement_mode.default('visibility_only'),
  visibility_level: profileFields.visibility_level.default('flow_summary'),
  key_lifespan: profileFields.key_lifespan.default('unlimited'),
  allowed_uses_per_key: profileFields.allowed_uses_per_key.default('unlimited'),
});
export type PairingProfileCreate = z.infer<typeof PairingProfileCreateSchema>;

export const PairingProfileUpdateSchema = z.object({
  name: profileFields.name.optional(),
  description: profileFields.description.optional(),
  enabled: profileFields.enabled.optional(),
  labels: profileFields.labels.optional(),
  enforcement_mode: profileFields.enforcement_mode.optional(),
  visibility_level: profileFields.visibility_level.optional(),
  key_lifespan: profileFields.key_lifespan.optional(),
  allowed_uses_per_key: profileFields.allowed_uses_per_key.optional(),
});

export interface PairingProfile {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly labels: readonly { href: string }[];
  readonly enforcement_mode: EnforcementMode;
  readonly visibility_level: VisibilityLevel;
  readonly key_lifespan: 'unlimited' | number;
  readonly allowed_uses_per_key: 'unlimited' | number;
}
