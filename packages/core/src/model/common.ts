/**
 * Shared schema pieces. Objects are parsed with zod's default (unknown keys stripped), so
 * clients that send whole objects where an `{href}` would do are accepted (DESIGN §6).
 */
import { z } from 'zod';

export const ENFORCEMENT_MODES = ['idle', 'visibility_only', 'selective', 'full'] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];
export const EnforcementModeSchema = z.enum(ENFORCEMENT_MODES);

export const VISIBILITY_LEVELS = ['flow_off', 'flow_drops', 'flow_summary', 'enhanced_data_collection'] as const;
export type VisibilityLevel = (typeof VISIBILITY_LEVELS)[number];
export const VisibilityLevelSchema = z.enum(VISIBILITY_LEVELS);

export const OS_TYPES = ['linux', 'windows', 'aix', 'solaris'] as const;
export type OsType = (typeof OS_TYPES)[number];

export const ROLES = ['owner', 'admin', 'ruleset_manager', 'read_only'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

export const HrefRefSchema = z.object({ href: z.string().min(1).max(512) });
export type HrefRef = z.infer<typeof HrefRefSchema>;

export const NameSchema = z.string().trim().min(1, 'must not be empty').max(255);
export const DescriptionSchema = z.string().max(4096);

/** Fields every stored object carries, rendered by the API. */
export interface Timestamps {
  readonly created_at: string;
  readonly updated_at: string;
  readonly created_by?: HrefRef;
  readonly updated_by?: HrefRef;
}
