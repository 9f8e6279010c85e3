/**
 * One LMTP transaction on one backend: connect (one retry), greeting, LHLO, MAIL FROM with the
 * client's parameters, the RCPTs (pipelined, RFC 2920), then the body from the spool (BDAT LAST
 * when the backend offers CHUNKING, else DATA with dot-stuffing) and one reply per accepted RCPT
 * (RFC 2033 §4.2). Never throws: every recipient gets a reply; whatever goes wrong with the backend
 * becomes 451 4.4.x so Postfix keeps the message and retries.
 */
import net from 'node:net';
import { reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { MessageSource } from '../../delivery/src/source.js';
import { LIMITS } from '../../core/src/limits.js';
import type { CircuitBreaker } from '../../routing/src/index.js';
import { DotStuffer, ReplyReader, type BackendReply } from './client-codec.js';
import type { LmtpBackend } from './backends.js';

export interface BackendTransaction {
  heloName: string;
  from: string;
  /** MAIL parameters as received (SIZE, BODY), passed on unchanged. */
  mailParams: ReadonlyMap<string, string | true>;
  rcpts: readonly string[];
  source: MessageSource;
}

export interface BackendClientOptions {
  connectTimeoutMs: number;
  replyTimeoutMs: number;
}

/** A fault of the backend connection (not of the message): becomes 451 4.4.x. */
class LinkError extends Error {
  constructor(readonly enhanced: '4.4.1' | '4.4.2', message: string, readonly countsAsFailure: boolean) { super(message); }
}

class Conn {
  private readonly reader = new ReplyReader(LIMITS.proxyMaxBackendLine);
  private readonly replies: BackendReply[] = [];
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      try { this.replies.push(...this.reader.push(d)); } catch (e) { this.fail(e as Error); sock.destroy(); }
      this.wake();
    });
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('backend closed the connection')));
  }

  private fail(e: Error): void { this.failure ??= e; this.wake(); }
  private wake(): void { const w = this.waiter; this.waiter = null; w?.(); }

  async next(timeoutMs: number, what: string): Promise<BackendReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.replies.shift();
      if (r) return r;
      if (this.failure) throw new LinkError('4.4.2', `${this.failure.message} (waiting for ${what})`, false);
      const left = deadline - Date.now();
      if (left <= 0) { this.sock.destroy(); throw new LinkError('4.4.2', `backend timeout waiting for ${what}`, true); }
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, left); this.waiter = () => { clearTimeout(t); resolve(); }; });
    }
  }

  /** Writes with backpressure: waits for drain, fails if the connection goes away. */
  async write(buf: Buffer | string, timeoutMs: number): Promise<void> {
    if (this.failure) throw new LinkError('4.4.2', this.failure.message, false);
    if (this.sock.write(buf)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error) => { clearTimeout(t); this.sock.off('drain', onDrain); this.sock.off('close', onClose); e ? reject(e) : resolve(); };
      const onDrain = () => done();
      const onClose = () => done(new LinkError('4.4.2', 'backend closed the connection while receiving the message', false));
      const t = setTimeout(() => { this.sock.destroy(); done(new LinkError('4.4.2', 'backend timeout while receiving the message', true)); }, timeoutMs);
      this.sock.on('drain', onDrain);
      this.sock.on('close', onClose);
    });
  }
}

function connectOnce(b: LmtpBackend, heloName: string, timeoutMs: number): Promise<{ conn: Conn; chunking: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = 'path' in b.target ? net.connect({ path: b.target.path }) : net.connect({ host: b.target.host, port: b.target.port });
    const conn = new Conn(sock);
    const timer = setTimeout(() => { sock.destroy(); reject(new LinkError('4.4.1', `backend ${b.name}: connect timeout after ${timeoutMs} ms`, true)); }, timeoutMs);
    (async () => {
      const greeting = await conn.next(timeoutMs, 'greeting');
      if (greeting.code !== 220) throw new LinkError('4.4.1', `backend ${b.name} greeting: ${greeting.code} ${greeting.lines.join(' ')}`, true);
      await conn.write(`LHLO ${heloName}\r\n`, timeoutMs);
      const lhlo = await conn.next(timeoutMs, 'LHLO');
      if (lhlo.code !== 250) throw new LinkError('4.4.1', `backend ${b.name} LHLO: ${lhlo.code} ${lhlo.lines.join(' ')}`, true);
      return { conn, chunking: lhlo.lines.some((l) => /^CHUNKING\b/i.test(l)) };
    })().then(
      (r) => { clearTimeout(timer); resolve(r); },
      (e: unknown) => {
        clearTimeout(timer);
        sock.destroy();
        reject(e instanceof LinkError ? new LinkError('4.4.1', `backend ${b.name}: ${e.message}`, true) : e);
      },
    );
  });
}

const toReply = (r: BackendReply): Reply => reply(r.code, r.enhanced, ...r.lines);
const fmtParams = (p: ReadonlyMap<string, string | true>): string => [...p].map(([k, v]) => ` ${k}${v === true ? '' : `=${v}`}`).join('');

/**
 * Runs the transaction; returns one reply per recipient, in order. `onError` hears every backend
 * fault (for logs). The breaker counts connect failures and timeouts (issue 6), never a 5xx.
 */
export async function runBackendTransaction(b: LmtpBackend, breaker: CircuitBreaker, tx: BackendTransaction,
  o: BackendClientOptions, onError: (e: Error) => void = () => undefined): Promise<Reply[]> {
  const answers: Array<Reply | null> = tx.rcpts.map(() => null);
  const fillRest = (r: Reply) => answers.map((a) => a ?? r);
  let link: { conn: Conn; chunking: boolean } | null = null;
  for (let attempt = 0; attempt < 2 && !link; attempt++) {
    if (!breaker.allow()) return fillRest(reply(451, '4.4.1', `Backend ${b.name} unavailable, try again later`));
    try {
      link = await connectOnce(b, tx.heloName, o.connectTimeoutMs);
      breaker.success();
    } catch (e) {
      breaker.failure();
      onError(e as Error);
    }
  }
  if (!link) return fillRest(reply(451, '4.4.1', `Backend ${b.name} not answering, try again later`));
  const { conn, chunking } = link;
  try {
    // MAIL and every RCPT in one write (PIPELINING); the replies come back in the same order.
    await conn.write(`MAIL FROM:<${tx.from}>${fmtParams(tx.mailParams)}\r\n${tx.rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join('')}`, o.replyTimeoutMs);
    const mail = await conn.next(o.replyTimeoutMs, 'MAIL');
    const accepted: number[] = [];
    for (let i = 0; i < tx.rcpts.length; i++) {
      const r = await conn.next(o.replyTimeoutMs, 'RCPT');
      if (mail.code !== 250) answers[i] = toReply(mail); // a refused MAIL: its reply stands for every recipient
      else if (r.code !== 250) answers[i] = toReply(r);
      else accepted.push(i);
    }
    if (accepted.length === 0) { conn.sock.end('QUIT\r\n'); return fillRest(reply(451, '4.3.0', 'No reply')); }
    if (chunking) {
      // RFC 3030 §2: one BDAT LAST with the exact size; the body goes unchanged, no stuffing.
      await conn.write(`BDAT ${tx.source.size} LAST\r\n`, o.replyTimeoutMs);
      for await (const c of tx.source.open()) await conn.write(c as Buffer, o.replyTimeoutMs);
    } else {
      await conn.write('DATA\r\n', o.replyTimeoutMs);
      const go = await conn.next(o.replyTimeoutMs, 'DATA');
      if (go.code !== 354) { for (const i of accepted) answers[i] = toReply(go); conn.sock.end('QUIT\r\n'); return fillRest(toReply(go)); }
      const ds = new DotStuffer();
      for await (const c of tx.source.open()) await conn.write(ds.stuff(c as Buffer), o.replyTimeoutMs);
      await conn.write(ds.end(), o.replyTimeoutMs);
    }
    for (const i of accepted) answers[i] = toReply(await conn.next(o.replyTimeoutMs, 'the reply after the data'));
    conn.sock.end('QUIT\r\n');
    return fillRest(reply(451, '4.3.0', 'No reply'));
  } catch (e) {
    conn.sock.destroy();
    if (e instanceof LinkError) {
      if (e.countsAsFailure) breaker.failure();
      onError(new Error(`backend ${b.name}: ${e.message}`));
      return fillRest(reply(451, e.enhanced, `Backend ${b.name}: connection lost or timed out, try again later`));
    }
    onError(e as Error);
    return fillRest(reply(451, '4.3.0', `Backend ${b.name}: temporary failure, try again later`));
  }
}
