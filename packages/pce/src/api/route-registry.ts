/**
 * Routes are data: each one declares its method, path, role, body schema and whether it is
 * a collection. The same declarations register the Hono handlers and produce the OpenAPI
 * document (openapi.ts), so what validates is what is documented.
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { invalid } from '@palisade/core/errors.ts';
import { parseInput } from '@palisade/core/validate.ts';
import type { Role } from '@palisade/core/model/common.ts';
import type { Principal } from '../auth/principal.ts';

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec {
  readonly method: Method;
  /** Hono path below /api/v2, e.g. `/orgs/:org/labels/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Minimum role; every authenticated key may read unless a route says otherwise. */
  readonly role?: Role;
  /** No authentication at all (health). */
  readonly public?: boolean;
  readonly body?: z.ZodType;
  /** A collection GET: bare array, X-Total-Count, max_results, Prefer: respond-async. */
  readonly collection?: boolean;
  /** Palisade's own addition to Illumio's API. */
  readonly palisade?: boolean;
}

export interface ApiRequest<B = unknown> {
  readonly principal: Principal;
  readonly org: number;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: B;
  /** For collections: max_results (default 500). */
  readonly limit: number;
  readonly c: Context;
}

export type ApiResult =
  | { readonly status: 200 | 201 | 202; readonly body: unknown; readonly headers?: Record<string, string> }
  | { readonly status: 204 }
  | { readonly list: readonly unknown[]; readonly total: number }
  /** A body already rendered (a stored JSON file, CSV). */
  | { readonly status: 200; readonly text: string; readonly contentType: string }
  /** A list already rendered as JSON text (from a cache). */
  | { readonly rawList: string; readonly total: number; readonly utf8?: () => Buffer; readonly gzipped?: () => Buffer };

export type Handler<B = unknown> = (req: ApiRequest<B>) => Promise<ApiResult>;

export interface RegisteredRoute {
  readonly spec: RouteSpec;
  readonly handler: Handler;
}

export const DEFAULT_MAX_RESULTS = 500;
export const MAX_MAX_RESULTS = 100_000;

export function parseMaxResults(q: URLSearchParams): number {
  const raw = q.get('max_results');
  if (raw === null || raw === '') return DEFAULT_MAX_RESULTS;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_MAX_RESULTS) {
    throw invalid('invalid_max_results', `max_results must be an integer from 0 to ${MAX_MAX_RESULTS}; use Prefer: respond-async for larger exports`);
  }
  return Number(raw);
}

/** Collects route declarations; `app.ts` mounts them. */
export class RouteRegistry {
  readonly routes: RegisteredRoute[] = [];

  add<S extends z.ZodType | undefined>(
    spec: RouteSpec & { body?: S },
    handler: Handler<S extends z.ZodType ? z.output<S> : undefined>,
  ): void {
    this.routes.push({ spec, handler: handler as Handler });
  }
}

export function parseBody(spec: RouteSpec, raw: unknown): unknown {
  return spec.body ? parseInput(spec.body, raw) : raw;
}

/** Registers the routes on a Hono app, with `wrap` supplying auth, parsing and answers. */
export function mount(app: Hono, registry: RouteRegistry, wrap: (r: RegisteredRoute) => (c: Context) => Promise<Response>): void {
  for (const r of registry.routes) app.on(r.spec.method.toUpperCase(), `/api/v2${r.spec.path}`, wrap(r));
}
