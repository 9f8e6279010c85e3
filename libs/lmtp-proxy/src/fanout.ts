/**
 * After the data: one LMTP transaction per backend, in parallel, each with its recipients, all
 * reading the same spool; then one reply per accepted Postfix RCPT, in Postfix's order
 * (RFC 2033 §4.2), split group recipients merged from their members (merge.ts).
 */
import { reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { MessageSource } from '../../delivery/src/source.js';
import { runBackendTransaction } from './backend-client.js';
import { deliveredKey } from './dedup.js';
import type { LmtpProxyDeps } from './deps.js';
import { mergeGroupReplies, type MemberResult } from './merge.js';
import type { Plan } from './plan.js';

export interface AcceptedRcpt {
  readonly rcpt: string;
  readonly plan: Extract<Plan, { kind: 'single' | 'split' }>;
}

export interface Envelope {
  readonly id: string;
  readonly heloName: string;
  readonly from: string;
  readonly mailParams: ReadonlyMap<string, string | true>;
  readonly bodySha256: string;
}

/** Where a backend's i-th RCPT reply goes: a Postfix recipient, and for split groups its member. */
interface Ref { rcptIndex: number; member: string | null }

export async function fanOut(deps: LmtpProxyDeps, env: Envelope, rcpts: readonly AcceptedRcpt[], src: MessageSource,
  onBackend?: (backend: string, replies: readonly Reply[]) => void): Promise<Reply[]> {
  const jobs = new Map<string, { addresses: string[]; refs: Ref[] }>();
  const add = (backend: string, address: string, ref: Ref) => {
    let j = jobs.get(backend);
    if (!j) jobs.set(backend, j = { addresses: [], refs: [] });
    j.addresses.push(address);
    j.refs.push(ref);
  };
  const single: Array<Reply | null> = rcpts.map(() => null);
  const members: MemberResult[][] = rcpts.map(() => []);
  for (const [i, r] of rcpts.entries()) {
    if (r.plan.kind === 'single') { add(r.plan.target.backend!, r.plan.target.address, { rcptIndex: i, member: null }); continue; }
    if (r.plan.outside.length) deps.logger.warn({ id: env.id, rcpt: r.rcpt, outside: r.plan.outside }, 'lmtp-proxy: group spans backends; its outside members are not relayed by the proxy');
    for (const t of r.plan.targets) {
      if (t.failed) { members[i]!.push({ member: t.address, reply: t.failed }); continue; }
      if (await deps.delivered.has(deliveredKey(env.bodySha256, env.from, r.rcpt, t.address))) {
        members[i]!.push({ member: t.address, reply: reply(250, '2.0.0', 'delivered on an earlier attempt'), earlier: true });
        continue;
      }
      add(t.backend!, t.address, { rcptIndex: i, member: t.address });
    }
  }
  const cfg = deps.config;
  await Promise.all([...jobs].map(async ([name, job]) => {
    const backend = deps.backends.backends.get(name)!;
    const replies = await runBackendTransaction(backend, deps.backends.breaker(name),
      { heloName: cfg.hostname, from: env.from, mailParams: env.mailParams, rcpts: job.addresses, source: src },
      { connectTimeoutMs: cfg.connectTimeoutMs, replyTimeoutMs: cfg.replyTimeoutMs },
      (err) => deps.logger.warn({ id: env.id, backend: name, err: err.message }, 'lmtp-proxy: backend failed'));
    onBackend?.(name, replies);
    job.refs.forEach((ref, k) => {
      const rep = replies[k]!;
      if (ref.member === null) single[ref.rcptIndex] = rep;
      else members[ref.rcptIndex]!.push({ member: ref.member, reply: rep });
    });
  }));
  const out: Reply[] = [];
  const remember: string[] = [];
  for (const [i, r] of rcpts.entries()) {
    if (r.plan.kind === 'single') { out.push(single[i] ?? reply(451, '4.3.0', `<${r.rcpt}> Temporary internal error`)); continue; }
    const res = members[i]!;
    const merged = mergeGroupReplies(r.rcpt, res, env.id);
    if (merged.code >= 400 && merged.code < 500) {
      for (const m of res) if (m.reply.code < 400 && !m.earlier) remember.push(deliveredKey(env.bodySha256, env.from, r.rcpt, m.member));
    }
    for (const m of res) if (m.reply.code >= 500) deps.logger.warn({ id: env.id, rcpt: r.rcpt, member: m.member, reply: `${m.reply.code} ${m.reply.lines.join(' ')}` }, 'lmtp-proxy: group member refused');
    out.push(merged);
  }
  // Before the 451 goes out: the retry must find these.
  if (remember.length) await deps.delivered.add(remember);
  return out;
}
