/** Test helpers for the Sieve lib (not a test file): messages, a one-call runner and a result summary. */
import { parseScript } from './parser.js';
import { evaluate } from './interpreter.js';
import { bufferMessage } from './message.js';
import type { EvaluateOptions, SieveContext, SieveResult } from './types.js';

export const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** The message most table cases run against. */
export const MSG = crlf(`Return-Path: <alice+news@example.com>
Received: from mx.example.com by mail.example.org; Tue, 24 Nov 2026 09:15:31 +0000
Received: from a.example.com by mx.example.com; Mon, 23 Nov 2026 09:00:00 +0000
From: "Alice Example" <alice+news@example.com>
To: Bob <bob@example.org>, carol@example.net
Cc: dave@EXAMPLE.org
Subject: [acme-users] [fwd] version 1.0 is out
Date: Tue, 24 Nov 2026 10:15:30 +0100
Message-ID: <m1@example.com>
X-Spam-Flag: YES
X-Spam-Score: 7.5
X-Encoded: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=
Content-Type: text/plain; charset=utf-8

Hello Bob, the release is out.
Cheers, Alice
`);

/** A multipart message for the body test (RFC 5173): plain, html and a base64 attachment. */
export const MULTIPART = crlf(`From: carol@example.net
To: bob@example.org
Subject: report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

This is the prologue.
--b1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, the quarterly numbers are attached.
--b1
Content-Type: text/html; charset=utf-8

<html><body><p>Secret <b>bonus</b> plan</p></body></html>
--b1
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

QklOQVJZIFBBWUxPQUQ=
--b1--
`);

export interface RunOpts {
  msg?: string;
  ctx?: Partial<SieveContext>;
  opts?: EvaluateOptions;
}

export function context(msg: string, over: Partial<SieveContext> = {}): SieveContext {
  return {
    envelope: { from: 'alice+news@example.com', to: 'bob@example.org' },
    message: bufferMessage(Buffer.from(msg, 'utf8')),
    user: { address: 'bob@example.org' },
    now: new Date(Date.UTC(2026, 10, 24, 12, 0, 0)),
    ...over,
  };
}

/** Parses and runs; a parse error becomes a rejected promise (table scripts must be valid). */
export async function runScript(script: string, o: RunOpts = {}): Promise<SieveResult> {
  const p = parseScript(script);
  if (!p.ok) throw new Error(`parse error ${p.error.line}:${p.error.column}: ${p.error.message}`);
  return evaluate(p.script, context(o.msg ?? MSG, o.ctx), o.opts);
}

/** Compact outcome, one string per action, for table expectations. */
export function summarize(r: SieveResult): string[] {
  if (!r.ok) return [`error: ${r.errors[0]?.message ?? ''}`];
  const fl = (f: string[]) => (f.length > 0 ? ` [${f.join(' ')}]` : '');
  const out: string[] = r.actions.map((a) => {
    switch (a.type) {
      case 'keep': return `keep${fl(a.flags)}`;
      case 'discard': return 'discard';
      case 'fileinto': return `fileinto ${a.mailbox}${a.copy ? ' :copy' : ''}${a.create ? ' :create' : ''}${fl(a.flags)}`;
      case 'redirect': return `redirect ${a.address}${a.copy ? ' :copy' : ''}`;
      case 'reject': return `${a.ereject ? 'ereject' : 'reject'} ${a.reason}`;
      case 'vacation': return `vacation to=${a.to} from=${a.from} subject=${a.subject}`;
    }
  });
  if (r.implicitKeep) out.push(`implicit keep${fl(r.keepFlags)}`);
  return out;
}
