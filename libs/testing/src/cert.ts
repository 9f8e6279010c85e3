/** A self-signed EC certificate for "localhost" and 127.0.0.1, made once per test process (not a test). */
import { generate } from 'selfsigned';

let certCache: { key: string; cert: string } | null = null;

export async function testCert(): Promise<{ key: string; cert: string }> {
  if (certCache) return certCache;
  const pems = await (generate as unknown as (attrs: unknown, opts: unknown) => Promise<{ private: string; cert: string }>)(
    [{ name: 'commonName', value: 'localhost' }],
    {
      keyType: 'ec', curve: 'P-256', days: 2, algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    },
  );
  certCache = { key: pems.private, cert: pems.cert };
  return certCache;
}
