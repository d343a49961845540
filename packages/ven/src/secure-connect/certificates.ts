/**
 * Certificate authentication (DESIGN §4 item 8): the org names one CA identity (the issuer DN).
 * The host holds the CA certificate (PEM or DER) in `<data-dir>/etc/ipsec.d/cacert/` and
 * PKCS#12 containers in `<data-dir>/etc/ipsec.d/private/*.p12`, each optionally protected by a
 * password in a root-only `<name>.password` beside it. The VEN picks the container whose
 * certificate was issued (and signed) by that CA and hands charon PEM files it writes itself:
 * CA and identity certificates, and the private key (0600).
 * PKCS#12 is read with node-forge (Node's crypto cannot); its ASN.1 goes to Node's crypto, so
 * RSA and EC keys both work (LAB.md).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

export interface HostIdentity {
  /** Subject DN in the certificate's order (`C=US, O=Ex, CN=db1`): our IKE identity. */
  readonly identity: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** For messages: which files were used. */
  readonly caFile: string;
  readonly p12File: string;
}

export class CertificateError extends Error {}

/** A DN as a sorted multiset of `key=value` (keys upper case, spaces trimmed): order and spacing do not matter. */
export function dnKey(dn: string): string {
  const parts = dn.includes('\n') ? dn.split('\n') : dn.split(/,(?![^=,]*\\)/);
  return parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      return i === -1 ? p : `${p.slice(0, i).trim().toUpperCase()}=${p.slice(i + 1).trim()}`;
    })
    .sort()
    .join('\n');
}

async function files(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function derOf(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

interface Container {
  readonly certs: X509Certificate[];
  readonly keys: KeyObject[];
}

// PKCS#12 bag types (RFC 7292).
const CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';

function openP12(data: Buffer, password: string | undefined): Container {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(data.toString('binary')), password ?? '');
  const certs: X509Certificate[] = [];
  for (const bag of p12.getBags({ bagType: CERT_BAG })[CERT_BAG] ?? []) {
    // forge parses RSA certificates; for others (EC) it leaves the ASN.1.
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    if (asn1) certs.push(new X509Certificate(derOf(asn1)));
  }
  const keys: KeyObject[] = [];
  for (const type of [SHROUDED_KEY_BAG, KEY_BAG]) {
    for (const bag of p12.getBags({ bagType: type })[type] ?? []) {
      if (bag.key) keys.push(createPrivateKey(forge.pki.privateKeyToPem(bag.key)));
      else if (bag.asn1) keys.push(createPrivateKey({ key: derOf(bag.asn1), format: 'der', type: 'pkcs8' }));
    }
  }
  return { certs, keys };
}

/** The password file beside a container (`x.password` or `x.p12.password`), which must be root-only. */
async function passwordFor(p12: string): Promise<string | undefined> {
  for (const candidate of [p12.replace(/\.p12$/i, '.password'), `${p12}.password`]) {
    let mode: number;
    try {
      mode = (await stat(candidate)).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & 0o077) !== 0) throw new CertificateError(`${candidate} is readable by others (mode ${mode.toString(8)}); it must be root-only (0600)`);
    return (await readFile(candidate, 'utf8')).replace(/\r?\n$/, '');
  }
  return undefined;
}

/**
 * The identity certificate for `caIdentity` from `<etcDir>/ipsec.d`, or a `CertificateError`
 * that says what is missing or does not match (reported to the PCE as is; it names files, never
 * a password or a key).
 */
export async function findHostIdentity(etcDir: string, caIdentity: string): Promise<HostIdentity> {
  const want = dnKey(caIdentity);
  const cacertDir = join(etcDir, 'ipsec.d', 'cacert');
  const privateDir = join(etcDir, 'ipsec.d', 'private');
  const cas: { file: string; cert: X509Certificate }[] = [];
  const seen: string[] = [];
  for (const file of await files(cacertDir)) {
    try {
      const cert = new X509Certificate(await readFile(file));
      seen.push(cert.subject.split('\n').join(', '));
      if (dnKey(cert.subject) === want) cas.push({ file, cert });
    } catch {
      // not a certificate
    }
  }
  if (cas.length === 0) {
    throw new CertificateError(`no CA certificate with subject "${caIdentity}" in ${cacertDir}${seen.length > 0 ? ` (found: ${seen.join('; ')})` : ' (the directory is empty or missing)'}`);
  }
  const p12s = (await files(privateDir)).filter((f) => /\.p12$/i.test(f));
  if (p12s.length === 0) throw new CertificateError(`no PKCS#12 container (*.p12) in ${privateDir}`);
  const problems: string[] = [];
  for (const file of p12s) {
    let container: Container;
    try {
      container = openP12(await readFile(file), await passwordFor(file));
    } catch (err) {
      problems.push(`${file}: ${err instanceof CertificateError ? err.message : 'cannot be opened (wrong or missing password?)'}`);
      continue;
    }
    for (const cert of container.certs) {
      if (dnKey(cert.issuer) !== want) {
        problems.push(`${file}: certificate "${cert.subject.split('\n').join(', ')}" is issued by "${cert.issuer.split('\n').join(', ')}"`);
        continue;
      }
      const ca = cas.find((c) => cert.verify(c.cert.publicKey));
      if (!ca) {
        problems.push(`${file}: certificate "${cert.subject.split('\n').join(', ')}" names the CA but is not signed by the CA certificate in ${cacertDir}`);
        continue;
      }
      const key = container.keys.find((k) => cert.checkPrivateKey(k));
      if (!key) {
        problems.push(`${file}: no private key for certificate "${cert.subject.split('\n').join(', ')}"`);
        continue;
      }
      return {
        identity: cert.subject.split('\n').join(', '),
        caPem: ca.cert.toString(),
        certPem: cert.toString(),
        keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
        caFile: ca.file,
        p12File: file,
      };
    }
  }
  throw new CertificateError(`no identity certificate issued by "${caIdentity}": ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
}
