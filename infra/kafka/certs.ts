// Certificates for a local TLS listener, made with openssl when a test starts: a CA, the broker's
// certificate for 127.0.0.1 and localhost signed by it, a client certificate for mTLS, and a second
// CA that signed nothing here (a client that trusts only it must refuse the broker). EC P-256 keys,
// PKCS#8 PEM, which both Node and Kafka's PEM key stores read; they live two days.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../local/process.js';

export interface TestCertificates {
  /** The CA that signed the broker's and the client's certificates (PEM). */
  ca: string;
  /** The broker's key and certificate chain in one PEM file (Kafka's ssl.keystore.type=PEM). */
  brokerKeystore: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed neither. */
  otherCa: string;
}

const openssl = (args: string[]) => run('openssl', args);

async function newCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  await openssl(['req', '-x509', '-new', '-key', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`]);
  return { cert, key };
}

/** A key and a certificate for `subject` signed by `ca`, with the given X.509 v3 extensions. */
async function signed(dir: string, name: string, ca: { cert: string; key: string }, subject: string, ext: string[]) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  await openssl(['req', '-new', '-key', key, '-out', csr, '-subj', subject]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    extFile,
  ]);
  return { cert, key };
}

export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  mkdirSync(dir, { recursive: true });
  const ca = await newCa(dir, 'test-ca');
  const other = await newCa(dir, 'other-ca');
  const broker = await signed(dir, 'broker', ca, '/CN=localhost', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  const client = await signed(dir, 'client', ca, '/CN=thena-lake', ['extendedKeyUsage=clientAuth']);
  const brokerKeystore = join(dir, 'broker-keystore.pem');
  writeFileSync(brokerKeystore, readFileSync(broker.key, 'utf8') + readFileSync(broker.cert, 'utf8'));
  return { ca: ca.cert, brokerKeystore, clientCert: client.cert, clientKey: client.key, otherCa: other.cert };
}
