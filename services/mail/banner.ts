/**
 * What the service prints on start: one machine-readable line per listener
 * ("listening <name> <host>:<port>", parsed by tests and scripts), then a human summary.
 */
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { TlsMaterial } from '../../libs/tls/src/index.js';
import { SAMPLE_USER } from './first-start.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Bound { name: 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'http' | 'lmtp' | 'managesieve' | 'quota-status' | 'sasl' | 'admin'; host: string; port: number }

/** How to run the deliver command from here: the compiled file beside this one, or via tsx from source. */
function deliverCommand(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return import.meta.url.endsWith('.ts') ? `node --import tsx ${join(here, 'deliver.ts')}` : `node ${join(here, 'deliver.js')}`;
}

function mailctlCommand(): string {
  const here = join(dirname(fileURLToPath(import.meta.url)), '..', 'mailctl');
  return import.meta.url.endsWith('.ts') ? `node --import tsx ${join(here, 'main.ts')}` : `node ${join(here, 'main.js')}`;
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
const connectHost = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host);

export function banner(c: MailConfig, bound: Bound[], tls: TlsMaterial | null, samplePassword: string | null, configPath: string | null): string {
  const lines = bound.map((b) => `listening ${b.name} ${hostPort(b.host, b.port)}`);
  lines.push('');
  lines.push(`mail node ${c.node.hostname} ready (config: ${configPath ?? 'embedded defaults'})`);
  lines.push(`  data:       ${c.node.dataDir}`);
  lines.push(`  mail:       ${c.storage.mailRoot}`);
  lines.push(`  users file: ${c.directory.path}`);
  if (tls) lines.push(`  TLS cert:   ${tls.certPath}${tls.selfSigned ? ' (self-signed; give it to clients as CA)' : ''}`);
  // Postfix-facing UNIX sockets (UCS: virtual_transport = lmtp:unix:..., smtpd_sasl_path = ...).
  if (c.lmtp.socket) lines.push(`  LMTP:       lmtp:unix:${c.lmtp.socket}`);
  if (c.sasl.socket) lines.push(`  SASL auth:  ${c.sasl.socket} (Postfix smtpd_sasl_type = dovecot)`);
  const imaps = bound.find((b) => b.name === 'imaps');
  const imap = bound.find((b) => b.name === 'imap');
  if (samplePassword !== null) {
    lines.push('');
    lines.push(`  sample user ${SAMPLE_USER}, password ${samplePassword} (shown only now; change it in the users file)`);
  }
  if (imaps || imap) {
    const user = samplePassword !== null ? SAMPLE_USER : '<user>';
    lines.push('');
    lines.push('  try it:');
    if (imaps) lines.push(`    openssl s_client -quiet -connect ${hostPort(connectHost(imaps.host), imaps.port)}${tls?.selfSigned ? ` -CAfile ${tls.certPath}` : ''}`);
    else if (imap) lines.push(`    openssl s_client -quiet -starttls imap -connect ${hostPort(connectHost(imap.host), imap.port)}${tls?.selfSigned ? ` -CAfile ${tls.certPath}` : ''}`);
    lines.push(`    then type:  a LOGIN ${user} <password>   and   b SELECT INBOX`);
    lines.push(`    deliver a message: echo 'Subject: hi' | ${deliverCommand()} -d ${user}${configPath ? ` --config ${configPath}` : ''}`);
  }
  if (bound.some((b) => b.name === 'admin')) {
    lines.push(`  admin:      ${mailctlCommand()}${configPath ? ` --config ${configPath}` : ''} who   (API key in ${c.admin.apiKey !== null ? 'admin.apiKey' : c.admin.apiKeyFile})`);
  }
  return `${lines.join('\n')}\n`;
}
