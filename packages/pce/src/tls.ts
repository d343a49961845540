/**
 * The self-signed certificate made on first start (ECDSA P-256, 10 years), naming the
 * listen address (an IP SAN for an IP, DNS otherwise) plus localhost and 127.0.0.1.
 */
import { webcrypto, createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
// @peculiar/x509 needs the Reflect metadata polyfill loaded before it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from './files.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
  /** SHA-256 fingerprint of the certificate, `AB:CD:…` (what VENs pin). */
  readonly fingerprint: string;
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export async function loadOrCreateTls(dir: string, host: string, now: Date): Promise<TlsMaterial & { created: boolean }> {
  const keyPath = join(dir, 'tls.key');
  const certPath = join(dir, 'tls.crt');
  if (existsSync(keyPath) && existsSync(certPath)) {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert, fingerprint: fingerprintOf(cert), created: false };
  }
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = new Set([host, 'localhost', '127.0.0.1', '::1']);
  const sans = [...names].map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: createHash('sha256').update(now.toISOString() + host).digest('hex').slice(0, 16),
    name: `CN=${host}, O=Palisade PCE`,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 86400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
    ],
  });
  const key = toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const certPem = cert.toString('pem') + '\n';
  await writeFileAtomic(keyPath, key, 0o600);
  await writeFileAtomic(certPath, certPem, 0o644);
  return { key, cert: certPem, fingerprint: fingerprintOf(certPem), created: true };
}
