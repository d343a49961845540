/** `palisade rulesets list|create|show|delete` and `palisade rules list|add|delete`. */
import { bool, list, need, str, type AdminCommand } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import { arr, field, idOf, json, obj, table } from '../output.ts';
import { fetchLabels, labelHref, policyObjectHref, type LabelRef } from '../pce-lookup.ts';
import { actorsText, parseActors, parseServices, portText } from '../policy-syntax.ts';
import type { CliIo } from '../io.ts';

const RULESET = { flags: '--ruleset <ruleset>', description: 'rule set id, href or name' } as const;
const DENY = { flags: '--deny', description: 'a deny rule instead of an allow rule' } as const;

function ruleRows(rules: unknown, labels: readonly LabelRef[], kind: string): string[][] {
  return arr(rules).map((r) => {
    const flags = [obj(r)['enabled'] === false ? 'disabled' : '', obj(r)['sec_connect'] === true ? 'sec_connect' : '', obj(r)['unscoped_consumers'] === true ? 'unscoped_consumers' : ''].filter((f) => f !== '');
    return [idOf(field(r, 'href')), kind, actorsText(obj(r)['providers'], labels), actorsText(obj(r)['consumers'], labels), arr(obj(r)['ingress_services']).map(portText).join(','), flags.join(',')];
  });
}

function printRules(io: CliIo, rs: unknown, labels: readonly LabelRef[]): void {
  table(io, ['ID', 'KIND', 'PROVIDERS', 'CONSUMERS', 'SERVICES', 'FLAGS'], [...ruleRows(obj(rs)['rules'], labels, 'allow'), ...ruleRows(obj(rs)['deny_rules'], labels, 'deny')]);
}

function printWarnings(io: CliIo, body: unknown): void {
  for (const w of arr(obj(body)['warnings'])) io.err(`warning: ${field(w, 'message')} [${field(w, 'token')}]`);
}

function scopeText(rs: unknown, labels: readonly LabelRef[]): string {
  const scopes = arr(obj(rs)['scopes']);
  if (scopes.length === 0) return '(all)';
  return scopes.map((s) => arr(s).map((e) => actorsText([obj(e)['label'] ? { label: obj(e)['label'] } : { label_group: obj(e)['label_group'] }], labels).replace(/^label:/, '')).join('&')).join(' | ');
}

async function ruleSetHref(api: ApiClient, nameOrId: string): Promise<string> {
  return policyObjectHref(api, 'rule_sets', nameOrId);
}

export const RULE_SET_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'rulesets',
    verb: 'list',
    summary: 'list rule sets',
    options: [{ flags: '--pversion <v>', description: 'draft, active or a version number', default: 'draft' }],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const { items } = await a.list(a.orgPath(`/sec_policy/${str(flags, 'pversion') ?? 'draft'}/rule_sets`));
      if (asJson) return json(io, items);
      const labels = await fetchLabels(a);
      table(io, ['HREF', 'NAME', 'ENABLED', 'SCOPES', 'RULES'], items.map((r) => [field(r, 'href'), field(r, 'name'), field(r, 'enabled'), scopeText(r, labels), String(arr(obj(r)['rules']).length + arr(obj(r)['deny_rules']).length)]));
    },
  },
  {
    noun: 'rulesets',
    verb: 'create',
    summary: 'create a rule set in the draft: rulesets create web-prod --scope app=shop,env=prod',
    args: ['<name>'],
    options: [
      { flags: '--scope <labels>', description: 'KEY=VALUE,… all of which a workload must carry; repeat for alternatives (none: all workloads)', repeat: true },
      { flags: '--description <text>', description: 'description' },
      { flags: '--disabled', description: 'create it disabled' },
    ],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const a = await api();
      const raw = flags['scope'];
      const scopeSpecs = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
      const labels = scopeSpecs.length > 0 ? await fetchLabels(a) : [];
      const scopes: { label: { href: string } }[][] = [];
      for (const s of scopeSpecs) {
        const entries: { label: { href: string } }[] = [];
        for (const l of s.split(',').map((x) => x.trim()).filter((x) => x !== '')) entries.push({ label: { href: await labelHref(a, l.replace(/^label:/, ''), labels) } });
        scopes.push(entries);
      }
      const description = str(flags, 'description');
      const created = await a.post(a.orgPath('/sec_policy/draft/rule_sets'), { name: args[0] ?? '', ...(description !== undefined ? { description } : {}), enabled: !bool(flags, 'disabled'), scopes });
      if (asJson) return json(io, created);
      printWarnings(io, created);
      io.out(`created rule set ${field(created, 'name')} ${field(created, 'href')} (draft: provision to apply)`);
    },
  },
  {
    noun: 'rulesets',
    verb: 'show',
    summary: 'show a rule set and its rules',
    args: ['<ruleset>'],
    options: [{ flags: '--pversion <v>', description: 'draft, active or a version number', default: 'draft' }],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const a = await api();
      const href = (await ruleSetHref(a, args[0] ?? '')).replace('/draft/', `/${str(flags, 'pversion') ?? 'draft'}/`);
      const rs = await a.get(href);
      if (asJson) return json(io, rs);
      const labels = await fetchLabels(a);
      io.out(`${field(rs, 'name')}  ${field(rs, 'href')}${obj(rs)['enabled'] === false ? '  (disabled)' : ''}`);
      io.out(`scopes: ${scopeText(rs, labels)}`);
      printRules(io, rs, labels);
    },
  },
  {
    noun: 'rulesets',
    verb: 'delete',
    summary: 'delete a rule set from the draft',
    args: ['<ruleset>'],
    run: async ({ io, json: asJson, args, api }) => {
      const a = await api();
      const href = await ruleSetHref(a, args[0] ?? '');
      await a.delete(href);
      if (asJson) return json(io, { href, deleted: true });
      io.out(`deleted rule set ${href} (draft: provision to apply)`);
    },
  },
  {
    noun: 'rules',
    verb: 'list',
    summary: 'list the rules of a rule set',
    options: [RULESET],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const href = await ruleSetHref(a, need(flags, 'ruleset', '--ruleset'));
      const rs = await a.get(href);
      if (asJson) return json(io, [...arr(obj(rs)['rules']), ...arr(obj(rs)['deny_rules'])]);
      printRules(io, rs, await fetchLabels(a));
    },
  },
  {
    noun: 'rules',
    verb: 'add',
    summary: 'add a rule: rules add --ruleset web --providers label:role=web --consumers ams --services tcp/443 --sec-connect',
    options: [
      RULESET,
      { flags: '--providers <actors>', description: 'ams, label:KEY=VALUE, label_group:NAME, ip_list:NAME, workload:HOSTNAME (comma separated or repeated)', repeat: true },
      { flags: '--consumers <actors>', description: 'same syntax as --providers', repeat: true },
      { flags: '--services <services>', description: 'tcp/443, udp/53-55, icmp, all, service:NAME (comma separated or repeated)', repeat: true },
      { flags: '--sec-connect', description: 'SecureConnect: encrypt the traffic (IPsec)' },
      { flags: '--unscoped-consumers', description: 'consumers are not limited to the rule set scope' },
      { flags: '--description <text>', description: 'description' },
      DENY,
    ],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const href = await ruleSetHref(a, need(flags, 'ruleset', '--ruleset'));
      const deny = bool(flags, 'deny');
      const body = {
        providers: await parseActors(a, list(flags, 'providers'), '--providers'),
        consumers: await parseActors(a, list(flags, 'consumers'), '--consumers'),
        ingress_services: await parseServices(a, list(flags, 'services'), '--services'),
        ...(str(flags, 'description') !== undefined ? { description: str(flags, 'description') } : {}),
        ...(deny ? {} : { sec_connect: bool(flags, 'secConnect'), unscoped_consumers: bool(flags, 'unscopedConsumers') }),
      };
      const created = await a.post(`${href}/${deny ? 'deny_rules' : 'sec_rules'}`, body);
      if (asJson) return json(io, created);
      printWarnings(io, created);
      io.out(`added ${deny ? 'deny' : 'allow'} rule ${field(created, 'href')} (draft: provision to apply)`);
    },
  },
  {
    noun: 'rules',
    verb: 'delete',
    summary: 'delete a rule from a rule set',
    args: ['<rule>'],
    options: [RULESET, DENY],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const a = await api();
      const target = args[0] ?? '';
      const href = target.startsWith('/orgs/') ? target : `${await ruleSetHref(a, need(flags, 'ruleset', '--ruleset'))}/${bool(flags, 'deny') ? 'deny_rules' : 'sec_rules'}/${target}`;
      await a.delete(href);
      if (asJson) return json(io, { href, deleted: true });
      io.out(`deleted rule ${href} (draft: provision to apply)`);
    },
  },
];
