/**
 * Browser tests of the web console (issue 7): a real PCE with the console built, and Debian's
 * Chromium driven by playwright-core.
 *
 *   const pce = await startConsolePce();            // SQLite temp dir, plain HTTP, free port
 *   await pce.createUser('reader', 'reader password 1', 'read_only');
 *   await pce.api('POST', `${pce.orgHref}/labels`, { key: 'app', value: 'shop' });   // seeding
 *   const b = await launchBrowser();
 *   const page = await b.newPage();
 *   await b.signIn(page, pce.url, 'owner', pce.ownerPassword);
 *   await b.screenshot(page, 'workloads');          // test-results/console/workloads.png
 *   …
 *   await b.close(); await pce.close();
 *
 * `b.errors` collects uncaught page errors and console errors, so a test can assert none.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startPce, type RunningPce } from '../../packages/pce/src/main.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'console');
export const CHROMIUM = process.env['PALISADE_CHROMIUM'] ?? '/usr/bin/chromium';

export type Role = 'owner' | 'admin' | 'ruleset_manager' | 'read_only';

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

export interface ConsolePce {
  /** `http://127.0.0.1:PORT` (the console is at `${url}/`). */
  readonly url: string;
  /** `/orgs/1` */
  readonly orgHref: string;
  /** The owner's API key (Basic auth), for seeding through the API. */
  readonly ownerKey: { readonly key_id: string; readonly secret: string };
  /** The owner's console password (user name `owner`). */
  readonly ownerPassword: string;
  readonly running: RunningPce;
  readonly dataDir: string;
  /** The API as the owner key: `api('POST', '/orgs/1/labels', {...})`; paths as API hrefs or /api/v2/…. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Like api, but fails the test unless the status is 2xx; returns the parsed body. */
  seed<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  createUser(username: string, password: string, role: Role): Promise<{ href: string; id: number }>;
  close(): Promise<void>;
}

export interface ConsolePceOptions {
  /** `--db` (e.g. a PostgreSQL URL); default SQLite in the temp data dir. */
  readonly db?: string;
  /** Rebuild packages/console/dist first (default true; once per test process). */
  readonly build?: boolean;
  readonly rateLimitPerMinute?: number;
}

let built: Promise<void> | undefined;
/** `npm run build:console`, once per process (it takes well under a second). */
export function buildConsole(): Promise<void> {
  built ??= promisify(execFile)(process.execPath, [join(ROOT, 'packages/console/scripts/build.mjs')], { cwd: ROOT }).then(() => undefined);
  return built;
}

export async function startConsolePce(options: ConsolePceOptions = {}): Promise<ConsolePce> {
  if (options.build !== false) await buildConsole();
  const dataDir = await mkdtemp(join(tmpdir(), 'palisade-console-test-'));
  const running = await startPce({
    dataDir,
    listen: '127.0.0.1:0',
    tls: 'off',
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    logger: pino({ level: process.env['PALISADE_TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(options.db !== undefined ? { db: options.db } : {}),
  });
  const key = running.adminKey;
  const password = running.consolePassword?.password;
  if (!key || password === undefined) throw new Error('a fresh PCE must create its owner key and console password');
  const auth = `Basic ${Buffer.from(`${key.key_id}:${key.secret}`).toString('base64')}`;
  const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const full = path.startsWith('/api/') ? path : `/api/v2${path}`;
    const res = await fetch(`${running.url}${full}`, {
      method: method.toUpperCase(),
      headers: { Authorization: auth, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  const seed = async <T,>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await api(method, path, body);
    if (r.status < 200 || r.status > 299) throw new Error(`seeding ${method} ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
    return r.body as T;
  };
  return {
    url: running.url,
    orgHref: `/orgs/${key.org_id}`,
    ownerKey: { key_id: key.key_id, secret: key.secret },
    ownerPassword: password,
    running,
    dataDir,
    api,
    seed,
    async createUser(username, pw, role) {
      const u = await seed<{ href: string }>('POST', `/orgs/${key.org_id}/users`, { username, password: pw, role, full_name: `${username} (test)` });
      return { href: u.href, id: Number(u.href.split('/').pop()) };
    },
    async close() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ConsoleBrowser {
  /** A persistent context on a new empty profile (cookies shared by its pages). */
  readonly context: BrowserContext;
  /** Uncaught page errors and console.error messages, from every page. */
  readonly errors: string[];
  newPage(): Promise<Page>;
  /** Opens the console at `${url}/#${hashPath}` (default the workloads page), signs in, waits for the layout. */
  signIn(page: Page, url: string, username: string, password: string, hashPath?: string): Promise<void>;
  /** Clicks "Sign out" and waits for the sign-in form. */
  signOut(page: Page): Promise<void>;
  /** Saves `test-results/console/<name>.png` (full page); returns the path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'palisade-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1366, height: 900 },
  });
  context.setDefaultTimeout(20_000);
  const errors: string[] = [];
  const watch = (page: Page): void => {
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // A 401/403/4xx the console shows on purpose is logged by Chromium as a failed resource.
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    errors,
    async newPage() {
      const existing = context.pages().find((p) => p.url() === 'about:blank');
      return existing ?? context.newPage();
    },
    async signIn(page, url, username, password, hashPath = '/workloads') {
      await page.goto(`${url}/#${hashPath}`);
      await page.getByTestId('sign-in-username').fill(username);
      await page.getByTestId('sign-in-password').fill(password);
      await page.getByTestId('sign-in-submit').click();
      await page.getByTestId('user-menu').waitFor();
    },
    async signOut(page) {
      await page.getByTestId('sign-out').click();
      await page.getByTestId('sign-in-form').waitFor();
    },
    async screenshot(page, name) {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-zA-Z0-9_-]/g, '-')}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the element with this data-testid has exactly this text (trimmed). */
export async function waitForTestIdText(page: Page, testid: string, text: string): Promise<void> {
  const exact = new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  await page.getByTestId(testid).filter({ hasText: exact }).waitFor();
}
