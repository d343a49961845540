/**
 * The signed-in user, for every page: who, which org, which role. Pages hide edit controls
 * with `can('ruleset_manager')` etc.; the API enforces the same roles regardless.
 * (Contract; the sign-in flow fills it.)
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role } from './page.ts';

export interface Session {
  readonly username: string;
  readonly fullName: string;
  readonly role: Role;
  readonly org: number;
  /** `/orgs/1` — prefix of every org-scoped API path. */
  readonly orgHref: string;
  can(atLeast: Role): boolean;
  signOut(): Promise<void>;
}

const RANK: Record<Role, number> = { read_only: 0, ruleset_manager: 1, admin: 2, owner: 3 };
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in app');
  return s;
}
