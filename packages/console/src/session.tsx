/**
 * The signed-in user, for every page: who, which org, which role. Pages hide edit controls
 * with `can('ruleset_manager')` etc.; the API enforces the same roles regardless.
 * The app (app.tsx) fills it from `GET /api/v2/login` and the sign-in form.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api } from './api/client.ts';
import type { Role } from './page.ts';

export interface Session {
  readonly username: string;
  /** `/users/3` — the signed-in user (their API keys, their password). */
  readonly userHref: string;
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

export const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', admin: 'Admin', ruleset_manager: 'Ruleset manager', read_only: 'Read only' };

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in app');
  return s;
}

/** What `/api/v2/login` answers (sign-in and "who am I"). */
export interface Me {
  readonly href: string;
  readonly username: string;
  readonly full_name: string;
  readonly role: Role;
  readonly org_id: number;
  readonly org: { readonly href: string };
}

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && x in RANK;
}

export function sessionOf(me: Me, signOut: () => Promise<void>): Session {
  return {
    username: me.username,
    userHref: me.href,
    fullName: me.full_name,
    role: me.role,
    org: me.org_id,
    orgHref: me.org.href,
    can: (atLeast) => roleAtLeast(me.role, atLeast),
    signOut,
  };
}

export const sessionApi = {
  /** The current session's user, or undefined when signed out. */
  async current(): Promise<Me | undefined> {
    try {
      return await api.get<Me>('/api/v2/login');
    } catch (e) {
      if (e instanceof Error && 'status' in e && e.status === 401) return undefined;
      throw e;
    }
  },
  signIn: (username: string, password: string): Promise<Me> => api.post<Me>('/api/v2/login', { username, password }),
  signOut: (): Promise<void> => api.del('/api/v2/login'),
};
