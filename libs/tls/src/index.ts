/**
 * TLS material for the listeners: load a configured cert/key pair, or generate (once) and reuse a
 * self-signed EC certificate for the embedded default; build a SecureContext limited to TLS 1.2+
 * (RFC 8996 deprecates 1.0/1.1; RFC 8314 §4.1).
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, writeFile, rename, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  /** True when the embedded default generated it (clients need it as CA: print its path). */
  selfSigned: boolean;
  /** Subject and validity, for the start-up log. */
  subject: string;
  validTo: string;
  fingerprint256: string;
}

export interface TlsSource {
  /** Configured PEM paths; both null = self-signed in generatedDir. */
  cert: string | null;
  key: string | null;
  generatedDir: string;
  /** Names for the generated certificate's SAN (default localhost, 127.0.0.1, ::1). */
  hostnames?: string[];
}

export class TlsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'TlsError'; }
}

/** Checks that the PEMs parse and belong together; throws TlsError naming the file otherwise. */
function inspect(cert: string, key: string, certPath: string, keyPath: string, selfSigned: boolean): TlsMaterial {
  let x509: X509Certificate;
  try { x509 = new X509Certificate(cert); } catch (e) { throw new TlsError(`${certPath}: not a PEM certificate`, { cause: e }); }
  let pk;
  try { pk = createPrivateKey(key); } catch (e) { throw new TlsError(`${keyPath}: not a PEM private key`, { cause: e }); }
  if (!x509.checkPrivateKey(pk)) throw new TlsError(`${keyPath}: private key does not match certificate ${certPath}`);
  return { cert, key, certPath, keyPath, selfSigned, subject: x509.subject.replace(/\n/g, ', '), validTo: x509.validTo, fingerprint256: x509.fingerprint256 };
}

/** Writes a file atomically (temp + rename) with the given mode. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** Generates a self-signed EC P-256 certificate (10 years) with SAN for the given names. */
export async function generateSelfSigned(hostnames: string[] = ['localhost', '127.0.0.1', '::1']): Promise<{ cert: string; key: string }> {
  const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
  const altNames = hostnames.map((h) => (isIp(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h }));
  const cn = hostnames.find((h) => !isIp(h)) ?? 'localhost';
  const pems = await selfsigned.generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 10 * 365 * 864e5),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * Loads the configured pair, or the generated one from generatedDir (creating it on first use).
 * Called again on SIGHUP to pick up a renewed certificate.
 */
export async function loadTls(src: TlsSource): Promise<TlsMaterial> {
  if (src.cert !== null && src.key !== null) {
    const read = async (p: string) => {
      try { return await readFile(p, 'utf8'); } catch (e) { throw new TlsError(`${p}: cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e }); }
    };
    return inspect(await read(src.cert), await read(src.key), src.cert, src.key, false);
  }
  const certPath = join(src.generatedDir, 'cert.pem');
  const keyPath = join(src.generatedDir, 'key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return inspect(cert, key, certPath, keyPath, true);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e instanceof TlsError ? e : new TlsError(`${certPath}: ${String(e)}`, { cause: e });
  }
  await mkdir(src.generatedDir, { recursive: true, mode: 0o700 });
  const { cert, key } = await generateSelfSigned(src.hostnames);
  // Key first: a cert without its key is never left behind to be "reused".
  await writeAtomic(keyPath, key, 0o600);
  await writeAtomic(certPath, cert, 0o644);
  return inspect(cert, key, certPath, keyPath, true);
}

/** A server SecureContext: TLS 1.2 minimum, the server picks the cipher order. */
export function secureContext(m: Pick<TlsMaterial, 'cert' | 'key'>): SecureContext {
  return createSecureContext({ cert: m.cert, key: m.key, minVersion: 'TLSv1.2', honorCipherOrder: true });
}
