/**
 * Test certificates made with strongSwan's `pki` (LAB.md): a CA, host certificates it issues
 * (PEM), and a PKCS#12 container of one of them made with `openssl pkcs12` (`pki` reads
 * PKCS#12 but does not write it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { must } from './strongswan-lab.ts';

export interface TestCa {
  readonly dn: string;
  readonly key: string;
  readonly cert: string;
}

export function makeCa(dir: string, name: string, dn: string): TestCa {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.pem`);
  writeFileSync(key, must('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']));
  writeFileSync(cert, must('pki', ['--self', '--ca', '--lifetime', '30', '--in', key, '--type', 'ecdsa', '--dn', dn, '--outform', 'pem']));
  return { dn, key, cert };
}

export interface TestHostCert {
  readonly dn: string;
  readonly key: string;
  readonly cert: string;
}

export function issue(dir: string, ca: TestCa, name: string, dn: string, address: string): TestHostCert {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.pem`);
  writeFileSync(key, must('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']));
  writeFileSync(cert, must('pki', ['--issue', '--in', key, '--type', 'ecdsa', '--cacert', ca.cert, '--cakey', ca.key, '--dn', dn, '--san', address, '--lifetime', '30', '--outform', 'pem']));
  return { dn, key, cert };
}

/** A password-protected PKCS#12 container: identity certificate, its key and the CA. */
export function pkcs12(out: string, host: TestHostCert, ca: TestCa, password: string): void {
  must('openssl', ['pkcs12', '-export', '-inkey', host.key, '-in', host.cert, '-certfile', ca.cert, '-out', out, '-passout', `pass:${password}`]);
}
