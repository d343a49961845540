/**
 * Admin commands are data (STYLE: wrangler): each declares its noun, verb, arguments and
 * options, and a `run` that gets a context. `registerAdminCommands` turns the table into
 * commander commands and adds the connection options to every one.
 */
import type { Command } from 'commander';
import { invalid } from '@palisade/core/errors.ts';
import type { ApiClient } from './api-client.ts';
import { connect } from './connection.ts';
import type { CliIo } from './io.ts';

export interface OptionSpec {
  /** Commander flags, e.g. `--description <text>` or `--partial`. */
  readonly flags: string;
  readonly description: string;
  readonly default?: string | boolean;
  /** Repeatable: collects every occurrence into an array. */
  readonly repeat?: boolean;
}

export type Flags = Readonly<Record<string, unknown>>;

export interface CommandContext {
  readonly io: CliIo;
  readonly json: boolean;
  readonly flags: Flags;
  readonly args: readonly string[];
  /** Connects on first use, so commands that fail validation never touch the network. */
  readonly api: () => Promise<ApiClient>;
}

export interface AdminCommand {
  readonly noun: string;
  /** Undefined for nouns that are verbs themselves (`provision`, `pending`, `revert`). */
  readonly verb?: string;
  readonly summary: string;
  /** Commander argument syntax: `<id>`, `[file]`. */
  readonly args?: readonly string[];
  readonly options?: readonly OptionSpec[];
  readonly run: (ctx: CommandContext) => Promise<void>;
}

const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  { flags: '--pce <url>', description: 'PCE URL, e.g. https://127.0.0.1:8443 (env PALISADE_PCE)' },
  { flags: '--api-key-file <file>', description: 'API key JSON {"org_id","key_id","secret"} (env PALISADE_API_KEY_FILE; default ./data/admin-api-key.json, or PALISADE_API_KEY_ID/PALISADE_API_KEY_SECRET)' },
  { flags: '--org <n>', description: 'org number (default: from the key file, else 1)' },
  { flags: '--fingerprint <sha256>', description: "pin the PCE certificate's SHA-256 fingerprint (printed by pce start)" },
  { flags: '--insecure', description: 'accept any PCE certificate (lab only)' },
  { flags: '--json', description: "print the API's JSON" },
];

export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function need(flags: Flags, name: string, flag: string): string {
  const v = str(flags, name);
  if (v === undefined || v === '') throw invalid('missing_flag', `${flag} is required`);
  return v;
}

export function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  const items = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
  return items.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

export function bool(flags: Flags, name: string): boolean {
  return flags[name] === true;
}

function collect(v: string, prev: unknown): string[] {
  return [...(Array.isArray(prev) ? prev.filter((x): x is string => typeof x === 'string') : []), v];
}

export function registerCommandTable(program: Command, io: CliIo, run: (fn: () => Promise<unknown>) => Promise<void>, table: readonly AdminCommand[]): void {
  const nouns = new Map<string, Command>();
  for (const spec of table) {
    let cmd: Command;
    if (spec.verb === undefined) {
      cmd = program.command(spec.noun).description(spec.summary);
    } else {
      let parent = nouns.get(spec.noun);
      if (!parent) {
        parent = program.command(spec.noun).description(`manage ${spec.noun}`);
        nouns.set(spec.noun, parent);
      }
      cmd = parent.command(spec.verb).description(spec.summary);
    }
    for (const a of spec.args ?? []) cmd.argument(a);
    for (const o of [...(spec.options ?? []), ...CONNECTION_OPTIONS]) {
      if (o.repeat) cmd.option(o.flags, o.description, collect);
      else if (o.default !== undefined) cmd.option(o.flags, o.description, o.default);
      else cmd.option(o.flags, o.description);
    }
    cmd.action((...all: unknown[]) =>
      run(async () => {
        const c = all[all.length - 1] as Command;
        const flags = c.opts();
        const args = all.slice(0, (spec.args ?? []).length).map((a) => (typeof a === 'string' ? a : ''));
        let client: ApiClient | undefined;
        await spec.run({
          io,
          json: flags['json'] === true,
          flags,
          args,
          api: async () => (client ??= await connect({ pce: str(flags, 'pce'), apiKeyFile: str(flags, 'apiKeyFile'), org: str(flags, 'org'), fingerprint: str(flags, 'fingerprint'), insecure: bool(flags, 'insecure') }, io)),
        });
      }),
    );
  }
}
