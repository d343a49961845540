import { z } from 'zod';

/** An X.509 distinguished name such as `CN=Palisade CA, O=Example, C=US`. */
const DnSchema = z
  .string()
  .trim()
  .max(1024)
  .regex(/^[A-Za-z][A-Za-z0-9.]*=[^,=]+(\s*,\s*[A-Za-z][A-Za-z0-9.]*=[^,=]+)*$/, 'must be a distinguished name such as "CN=Example CA, O=Example"');

export const FirewallSettingsUpdateSchema = z.object({
  ike_authentication_type: z.enum(['psk', 'certificate']).optional(),
  /** The issuer DN of the org's IPsec certificates; required for certificate authentication. */
  ike_ca_identity: DnSchema.nullable().optional(),
});
export type FirewallSettingsUpdate = z.infer<typeof FirewallSettingsUpdateSchema>;

export interface FirewallSettings {
  readonly ike_authentication_type: 'psk' | 'certificate';
  readonly ike_ca_identity: string | null;
}

export const DEFAULT_FIREWALL_SETTINGS: FirewallSettings = { ike_authentication_type: 'psk', ike_ca_identity: null };
