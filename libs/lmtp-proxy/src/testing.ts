/**
 * Helpers for the LMTP proxy tests (not a test file): a two-site cluster of real backend mail nodes
 * (services/mail/main.js as processes, own mail roots, LMTP on loopback TCP), a users file with users
 * and groups on both sites, fake backends that fail in chosen ways, and the proxy in this process.
 */
import net from 'node:net';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProc, type Proc } from '../../../services/proxy/testing.js';
import { FileDirectory } from '../../directory/src/file/file-directory.js';
import { hashPassword } from '../../directory/src/file/password.js';
import { Registry } from 'prom-client';
import { LmtpProxy } from './server.js';
import { BackendSet } from './backends.js';
import { MemoryDeliveredStore } from './dedup.js';
import type { ProxyLogger } from './deps.js';
import { LmtpReceiver } from '../../lmtp-codec/src/receiver.js';
import { mailFiles } from '../../testing/src/maildir.js';
import { freePort } from '../../testing/src/ports.js';
import { mailNode, nodeYaml } from '../../testing/src/node-config.js';

export const SITE_A = 'site-a.test';
export const SITE_B = 'site-b.test';
/** Fake backends: DROP closes the connection in the middle of the message, HANG never answers after the data. */
export const SITE_DROP = 'site-drop.test';
export const SITE_HANG = 'site-hang.test';
/** A fake backend without CHUNKING that stores what it gets (the DATA path). */
export const SITE_PLAIN = 'site-plain.test';

export function writeUsers(dir: string): string {
  const pw = hashPassword('pw');
  const u = (name: string, home: string | null) => `  ${name}@example.org: { password: "${pw}", homeServer: ${home ?? 'null'} }`;
  const path = join(dir, 'users.yaml');
  writeFileSync(path, [
    'domains: [example.org]',
    'users:',
    u('alice', SITE_A), u('erin', SITE_A), u('bob', SITE_B), u('dave', SITE_B), u('carol', null),
    u('dropuser', SITE_DROP), u('hanguser', SITE_HANG), u('plainuser', SITE_PLAIN), u('nowhere', 'unknown-site.test'),
    'groups:',
    // Members on both sites, a nested group, alice reached twice, and a loop back to team.
    '  team@example.org: { members: [alice@example.org, bob@example.org, sub@example.org] }',
    '  sub@example.org: { members: [dave@example.org, alice@example.org, team@example.org] }',
    '  sitea@example.org: { members: [alice@example.org, erin@example.org] }',
    '  withdrop@example.org: { members: [alice@example.org, dropuser@example.org] }',
    '',
  ].join('\n'));
  return path;
}

export interface Backend { name: string; port: number; data: string; config: string; proc: Proc }

/** A backend mail node with LMTP on a fixed loopback port (so a restart comes back at the same address). */
export async function startBackend(dir: string, name: string, port?: number): Promise<Backend> {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const p = port ?? await freePort();
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, nodeYaml(mailNode({ hostname: name, dataDir: data, users: join(dir, 'users.yaml'), lmtp: p, logLevel: 'warn' })));
  const proc = startProc('mail', config);
  await proc.waitFor(/^listening lmtp 127\.0\.0\.1:\d+$/m);
  return { name, port: p, data, config, proc };
}

/** Message files of one user under a backend's mail root (all folders). */
export function mailOf(b: { data: string }, user: string): string[] {
  const [local, domain] = user.split('@');
  return mailFiles(join(b.data, 'mail', domain!, local!, 'Maildir'));
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
export const bodies = (files: string[]): string[] => files.map((f) => readFileSync(f, 'latin1'));

/**
 * A fake LMTP backend: greeting, LHLO (with or without CHUNKING), 250 to MAIL and RCPT; then, with
 * `drop`, destroys the connection after `dropAfter` body bytes (a backend killed mid-DATA); with
 * `hang`, takes the body and never answers.
 */
export async function fakeBackend(mode: 'drop' | 'hang', dropAfter = 1000): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  return fakeServer((s) => fakeSession(s, mode, dropAfter));
}

/**
 * A backend WITHOUT CHUNKING that stores what it receives (unstuffed by the real receiver of
 * libs/lmtp-codec) and answers 250 per recipient: the proxy's DATA path with dot-stuffing.
 */
export async function plainBackend(): Promise<{ port: number; messages: Array<{ rcpts: string[]; body: Buffer }>; connections: () => number; close(): Promise<void> }> {
  const messages: Array<{ rcpts: string[]; body: Buffer }> = [];
  const srv = await fakeServer((s) => {
    const rx = new LmtpReceiver({ maxLineLength: 4096 });
    let rcpts: string[] = [];
    let body: Buffer[] = [];
    s.write('220 plain LMTP\r\n');
    s.on('data', (d: Buffer) => {
      rx.push(d);
      for (let ev = rx.next(); ev; ev = rx.next()) {
        if (ev.type === 'data') body.push(Buffer.from(ev.chunk));
        else if (ev.type === 'dataEnd') {
          messages.push({ rcpts, body: Buffer.concat(body) });
          for (const r of rcpts) s.write(`250 2.0.0 <${r}> stored\r\n`);
          rcpts = []; body = [];
        } else if (ev.type === 'command') {
          const c = ev.command;
          if (c.verb === 'LHLO') s.write('250-plain\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
          else if (c.verb === 'MAIL') s.write('250 2.1.0 OK\r\n');
          else if (c.verb === 'RCPT') { rcpts.push(c.to.address); s.write('250 2.1.5 OK\r\n'); }
          else if (c.verb === 'DATA') { s.write('354 go\r\n'); rx.startData(); }
          else if (c.verb === 'QUIT') s.end('221 bye\r\n');
          else s.write('500 5.5.1 what\r\n');
        }
      }
    });
  });
  return { ...srv, messages };
}

async function fakeServer(onConn: (s: net.Socket) => void): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let conns = 0;
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    conns++;
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    connections: () => conns,
    close: async () => { for (const s of socks) s.destroy(); await new Promise<void>((r) => srv.close(() => r())); },
  };
}

function fakeSession(s: net.Socket, mode: 'drop' | 'hang', dropAfter: number): void {
  s.write('220 fake LMTP\r\n');
  let buf = '';
  let body = -1;
  s.on('data', (d: Buffer) => {
    if (body >= 0) {
      body += d.length;
      if (mode === 'drop' && body >= dropAfter) s.destroy();
      return;
    }
    buf += d.toString('latin1');
    let i;
    while (body < 0 && (i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (/^LHLO/i.test(line)) s.write('250-fake\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n');
      else if (/^(MAIL|RCPT)/i.test(line)) s.write('250 2.0.0 OK\r\n');
      else if (/^DATA/i.test(line)) { s.write('354 go\r\n'); body = buf.length; buf = ''; if (mode === 'drop' && body >= dropAfter) s.destroy(); }
      else if (/^QUIT/i.test(line)) s.end('221 bye\r\n');
      else s.write('500 what\r\n');
    }
  });
}

export interface RunningProxy { proxy: LmtpProxy; port: number; set: BackendSet; delivered: MemoryDeliveredStore; logs: string[]; metrics: Registry; close(): Promise<void> }

/** The LMTP proxy in this process over the users file, with the given backends (name -> port). */
export async function startProxy(dir: string, backends: Record<string, number>, o: { replyTimeoutMs?: number; breakerFailures?: number; coolDownMs?: number } = {}): Promise<RunningProxy> {
  const directory = await FileDirectory.open({ path: join(dir, 'users.yaml') });
  const metrics = new Registry();
  const set = new BackendSet({
    backends: Object.fromEntries(Object.entries(backends).map(([n, p]) => [n, `127.0.0.1:${p}`])),
    failureThreshold: o.breakerFailures ?? 3, coolDownMs: o.coolDownMs ?? 1000,
    onBreaker: (backend, state) => LmtpProxy.breakerMetric(metrics, backend, state),
  });
  const logs: string[] = [];
  const log = (level: string) => (obj: object, msg: string) => { logs.push(`${level} ${msg} ${JSON.stringify(obj)}`); };
  const logger: ProxyLogger = { info: log('info'), warn: log('warn'), error: log('error') };
  const delivered = new MemoryDeliveredStore();
  const proxy = new LmtpProxy({
    directory, backends: set, delivered, logger, metrics,
    config: {
      hostname: 'proxy.test', maxMessageSize: 64 * 1024 * 1024, maxRecipients: 100, idleTimeoutMs: 60_000, spoolDir: join(dir, 'proxy-spool'),
      connectTimeoutMs: 1000, replyTimeoutMs: o.replyTimeoutMs ?? 10_000,
    },
  });
  const port = await proxy.listen({ host: '127.0.0.1', port: 0 });
  return { proxy, port, set, delivered, logs, metrics, close: async () => { await proxy.close(1000); await directory.close(); } };
}
