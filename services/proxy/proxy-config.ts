/**
 * The configuration text a proxy's login processes load: the one the parent validated at start or at
 * its last accepted reload, handed down in the environment (fork inherits it), not the file read again.
 * So, as with Dovecot's master and its children, an edited file takes effect only through a reload, and a
 * file edited into an invalid state (the reload refused) does not stop the login processes started after
 * it (in high-security mode: one per connection). Relative paths still resolve against the file's directory.
 * Also what a proxy checks beyond the schema (start and reload) and which keys a reload cannot change.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, type LoadResult } from '../../libs/config/src/load.js';
import type { MailConfig } from '../../libs/config/src/schema.js';

/** Not MAIL_-prefixed: those are configuration overrides (MAIL_<SECTION>__<KEY>). */
const ENV = 'MAILPROXY_CONFIG_TEXT';
/** Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN); larger files are read by each process. */
const MAX_ENV_TEXT = 120 * 1024;

/** Parent: reads and validates the file; returns the text to publish once the caller accepts the result. */
export function loadProxyConfig(path: string | null): LoadResult & { text: string | undefined } {
  let text: string | undefined;
  if (path !== null) { try { text = readFileSync(path, 'utf8'); } catch { /* loadConfig reports it */ } }
  return { ...loadConfig(path, process.env, text === undefined ? {} : { text }), text };
}

/** Parent: login processes started from now on load this text. */
export function publishForLoginProcesses(text: string | undefined): void {
  if (text !== undefined && Buffer.byteLength(text) <= MAX_ENV_TEXT) process.env[ENV] = text;
  else delete process.env[ENV];
}

/** Login process: the parent's text when it gave one, else the file. */
export function loadLoginProcessConfig(path: string | null): LoadResult {
  const text = process.env[ENV];
  return loadConfig(path, process.env, path !== null && text !== undefined ? { text } : {});
}

/** What a proxy cannot run without (checked at start and on reload). */
export function proxyConfigErrors(c: MailConfig): string[] {
  const errors: string[] = [];
  if (c.proxy.masterUser === null || c.proxy.masterPassword === null) errors.push('proxy.masterUser and proxy.masterPassword: required (the backends\' master login)');
  if (Object.keys(c.proxy.backends).length === 0 && (c.proxy.imapPort !== null || c.proxy.imapTlsPort !== null)) errors.push('proxy.backends: at least one IMAP backend is required');
  if (Object.keys(c.proxy.pop3Backends).length === 0 && (c.proxy.pop3Port !== null || c.proxy.pop3TlsPort !== null)) errors.push('proxy.pop3Backends: at least one POP3 backend is required with proxy.pop3Port/pop3TlsPort');
  if (Object.keys(c.proxy.sieveBackends).length === 0 && c.proxy.sievePort !== null) errors.push('proxy.sieveBackends: at least one ManageSieve backend is required with proxy.sievePort');
  if (Object.keys(c.proxy.lmtpBackends).length === 0 && (c.proxy.lmtpPort !== null || c.proxy.lmtpSocket !== false)) errors.push('proxy.lmtpBackends: at least one LMTP backend is required with proxy.lmtpPort/lmtpSocket');
  return errors;
}

/**
 * Keys a running proxy cannot change (listeners, the main process's directory and Redis handles, its
 * name and data dir): a reload logs them as "needs restart" and keeps running with the old values.
 */
export function restartOnlyKeys(a: MailConfig, b: MailConfig): string[] {
  const keys: Array<[string, (c: MailConfig) => unknown]> = [
    ['node', (c) => c.node], ['directory', (c) => c.directory], ['redis', (c) => c.redis], ['auth', (c) => c.auth], ['http', (c) => c.http],
    ['log.pretty', (c) => c.log.pretty],
    ['proxy.host', (c) => c.proxy.host], ['proxy.imapPort', (c) => c.proxy.imapPort], ['proxy.imapTlsPort', (c) => c.proxy.imapTlsPort],
    ['proxy.pop3Port', (c) => c.proxy.pop3Port], ['proxy.pop3TlsPort', (c) => c.proxy.pop3TlsPort], ['proxy.sievePort', (c) => c.proxy.sievePort],
    ['proxy.lmtpPort', (c) => c.proxy.lmtpPort], ['proxy.lmtpSocket', (c) => c.proxy.lmtpSocket],
  ];
  return keys.filter(([, f]) => JSON.stringify(f(a)) !== JSON.stringify(f(b))).map(([k]) => k);
}
