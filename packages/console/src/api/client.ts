/**
 * The console's only way to the PCE: the public REST API (`/api/v2`), authenticated by the
 * sign-in session cookie. Every page goes through here, so errors have one shape: an ApiError
 * carrying the API's `[{"token","message"}]` list, shown next to the field or rule at fault.
 */

export interface ApiErrorItem {
  readonly token: string;
  readonly message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly errors: readonly ApiErrorItem[];

  constructor(status: number, errors: readonly ApiErrorItem[]) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

export interface ListResult<T> {
  readonly items: T[];
  /** X-Total-Count: how many exist, which may be more than `items` (max_results). */
  readonly total: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** Sent on every console request; the PCE accepts the session cookie only with it (CSRF). */
export const CONSOLE_HEADER = 'X-Palisade-Console';

function url(path: string, query?: Query): string {
  // Accepts API hrefs as the API returns them (`/orgs/1/labels/3`) or full `/api/v2/...` paths.
  const base = path.startsWith('/api/') ? path : `/api/v2${path}`;
  if (!query) return base;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${base}${base.includes('?') ? '&' : '?'}${s}` : base;
}

async function errorOf(res: Response): Promise<ApiError> {
  let items: ApiErrorItem[] = [];
  try {
    const body = (await res.json()) as unknown;
    if (Array.isArray(body)) items = body.filter((e): e is ApiErrorItem => typeof e === 'object' && e !== null && 'token' in e && 'message' in e);
  } catch {
    // not JSON: fall through to the status line
  }
  if (items.length === 0) items = [{ token: `http_${res.status}`, message: `${res.status} ${res.statusText}` }];
  return new ApiError(res.status, items);
}

/** Called when the session has ended (401), so the app can show the sign-in page. */
let onUnauthenticated: () => void = () => undefined;
export function setUnauthenticatedHandler(f: () => void): void {
  onUnauthenticated = f;
}

export async function request(method: string, path: string, options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', [CONSOLE_HEADER]: '1', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, options.query), {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (res.status === 401) onUnauthenticated();
  if (!res.ok) throw await errorOf(res);
  return res;
}

async function jsonOrUndefined<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const api = {
  async get<T>(path: string, query?: Query): Promise<T> {
    return jsonOrUndefined<T>(await request('GET', path, { query }));
  },
  async list<T>(path: string, query?: Query): Promise<ListResult<T>> {
    const res = await request('GET', path, { query });
    const items = (await res.json()) as T[];
    return { items, total: Number(res.headers.get('X-Total-Count') ?? items.length) };
  },
  async post<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return jsonOrUndefined<T>(await request('POST', path, { body, query }));
  },
  async put<T = undefined>(path: string, body: unknown): Promise<T> {
    return jsonOrUndefined<T>(await request('PUT', path, { body }));
  },
  async del(path: string): Promise<void> {
    await request('DELETE', path);
  },
};
