import { z } from 'zod';
import { NameSchema, RoleSchema, type Role } from './common.ts';

export const UserCreateSchema = z.object({
  username: z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9._@+-]+$/, 'letters, digits and . _ @ + - only'),
  full_name: z.string().max(255).optional(),
  /** For console sign-in; API access uses API keys. */
  password: z.string().min(12, 'a password has at least 12 characters').max(1024).optional(),
  role: RoleSchema.default('read_only'),
});
export type UserCreate = z.infer<typeof UserCreateSchema>;

export const ApiKeyCreateSchema = z.object({
  name: NameSchema,
  description: z.string().max(4096).optional(),
  /** Defaults to the user's role; may only narrow it. */
  role: RoleSchema.optional(),
});
export type ApiKeyCreate = z.infer<typeof ApiKeyCreateSchema>;

const RANK: Record<Role, number> = { read_only: 0, ruleset_manager: 1, admin: 2, owner: 3 };

/** Whether `role` grants at least what `needed` grants. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}
