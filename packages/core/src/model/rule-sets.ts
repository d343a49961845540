import { z } from 'zod';
import { parseHref } from '../href.ts';
import { DescriptionSchema, HrefRefSchema, NameSchema } from './common.ts';
import { ServicePortSchema, type ServicePort } from './services.ts';

/**
 * An actor in Illumio's shape: exactly one of `actors: "ams"` (all workloads), `label`,
 * `label_group`, `workload`, `ip_list`, `virtual_service`.
 */
export const ActorSchema = z
  .object({
    actors: z.literal('ams').optional(),
    label: HrefRefSchema.optional(),
    label_group: HrefRefSchema.optional(),
    workload: HrefRefSchema.optional(),
    ip_list: HrefRefSchema.optional(),
    virtual_service: HrefRefSchema.optional(),
  })
  .refine((a) => Object.values(a).filter((v) => v !== undefined).length === 1, {
    message: 'an actor names exactly one of actors ("ams"), label, label_group, workload, ip_list, virtual_service',
  });
export type ActorInput = z.infer<typeof ActorSchema>;

export type Actor =
  | { readonly kind: 'ams' }
  | { readonly kind: 'label'; readonly id: string }
  | { readonly kind: 'label_group'; readonly id: string }
  | { readonly kind: 'workload'; readonly id: string }
  | { readonly kind: 'ip_list'; readonly id: string }
  | { readonly kind: 'virtual_service'; readonly id: string };

/** The normalized form of a stored (already validated) actor. */
export function actorOf(a: ActorInput): Actor {
  if (a.actors === 'ams') return { kind: 'ams' };
  for (const kind of ['label', 'label_group', 'workload', 'ip_list', 'virtual_service'] as const) {
    const ref = a[kind];
    if (ref) {
      const p = parseHref(ref.href);
      const id = p?.kind === 'org' || p?.kind === 'policy' ? p.id : ref.href;
      return { kind, id };
    }
  }
  throw new Error('actorOf: actor was not validated');
}

export const ScopeEntrySchema = z
  .object({ label: HrefRefSchema.optional(), label_group: HrefRefSchema.optional(), exclusion: z.boolean().optional() })
  .refine((e) => (e.label === undefined) !== (e.label_group === undefined), {
    message: 'a scope entry names exactly one of label or label_group',
  });
/** OR of ANDs: a rule set applies to workloads matching every entry of any one scope. */
export const ScopesSchema = z.array(z.array(ScopeEntrySchema).max(16)).max(500);

/** An ingress service: a service href, or an inline port/protocol. */
export const IngressServiceSchema = z.union([HrefRefSchema, ServicePortSchema]);

const ruleFields = {
  enabled: z.boolean(),
  description: DescriptionSchema,
  providers: z.array(ActorSchema).min(1, 'a rule needs at least one provider').max(1_000),
  consumers: z.array(ActorSchema).min(1, 'a rule needs at least one consumer').max(1_000),
  ingress_services: z.array(IngressServiceSchema).max(1_000),
};

export const SecRuleCreateSchema = z.object({
  ...ruleFields,
  enabled: ruleFields.enabled.default(true),
  description: ruleFields.description.default(''),
  ingress_services: ruleFields.ingress_services.min(1, 'a rule needs at least one ingress service'),
  sec_connect: z.boolean().default(false),
  unscoped_consumers: z.boolean().default(false),
});
export type SecRuleCreate = z.infer<typeof SecRuleCreateSchema>;

export const SecRuleUpdateSchema = z.object({
  enabled: ruleFields.enabled.optional(),
  description: ruleFields.description.optional(),
  providers: ruleFields.providers.optional(),
  consumers: ruleFields.consumers.optional(),
  ingress_services: ruleFields.ingress_services.min(1).optional(),
  sec_connect: z.boolean().optional(),
  unscoped_consumers: z.boolean().optional(),
});

export const DenyRuleCreateSchema = z.object({
  ...ruleFields,
  enabled: ruleFields.enabled.default(true),
  description: ruleFields.description.default(''),
  ingress_services: ruleFields.ingress_services.min(1, 'a deny rule needs at least one ingress service'),
});
export type DenyRuleCreate = z.infer<typeof DenyRuleCreateSchema>;

export const DenyRuleUpdateSchema = z.object({
  enabled: ruleFields.enabled.optional(),
  description: ruleFields.description.optional(),
  providers: ruleFields.providers.optional(),
  consumers: ruleFields.consumers.optional(),
  ingress_services: ruleFields.ingress_services.min(1).optional(),
});

export const RuleSetCreateSchema = z.object({
  name: NameSchema,
  description: DescriptionSchema.default(''),
  enabled: z.boolean().default(true),
  scopes: ScopesSchema.default([]),
  rules: z.array(SecRuleCreateSchema).max(10_000).default([]),
  deny_rules: z.array(DenyRuleCreateSchema).max(10_000).default([]),
});
export type RuleSetCreate = z.infer<typeof RuleSetCreateSchema>;

export const RuleSetUpdateSchema = z.object({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  enabled: z.boolean().optional(),
  scopes: ScopesSchema.optional(),
});

export type IngressService = { readonly href: string } | ServicePort;

export interface SecRule {
  readonly id: string;
  readonly enabled: boolean;
  readonly description: string;
  readonly providers: readonly ActorInput[];
  readonly consumers: readonly ActorInput[];
  readonly ingress_services: readonly IngressService[];
  readonly sec_connect: boolean;
  readonly unscoped_consumers: boolean;
}

export interface DenyRule {
  readonly id: string;
  readonly enabled: boolean;
  readonly description: string;
  readonly providers: readonly ActorInput[];
  readonly consumers: readonly ActorInput[];
  readonly ingress_services: readonly IngressService[];
}

export type ScopeEntry = z.infer<typeof ScopeEntrySchema>;

export interface RuleSet {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly scopes: readonly (readonly ScopeEntry[])[];
  readonly rules: readonly SecRule[];
  readonly deny_rules: readonly DenyRule[];
}
