import type { Role } from '@palisade/core/model/common.ts';

/** Who is calling: an API key of one org, with the role it carries. */
export interface Principal {
  readonly org: number;
  readonly keyId: string;
  readonly userId: number;
  readonly username: string;
  readonly role: Role;
}

/** How events and `created_by` name the caller. */
export function principalRef(p: Principal): { href: string } {
  return { href: `/users/${p.userId}` };
}
