#!/usr/bin/env node
/**
 * `deliver -d user@example.org [-m Folder] [--config FILE] < message` — local delivery agent in the
 * manner of dovecot-lda. Exit codes are sysexits(3), which MTAs (Postfix pipe/local) map to bounce
 * or retry: 0 ok, 64 usage, 65 message too big, 67 unknown user, 73 mailbox full, 75 try later, 78 bad config.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../libs/config/src/load.js';
import { FileDirectory } from '../../libs/directory/src/file/file-directory.js';
import { LdapDirectory } from '../../libs/directory/src/ldap/index.js';
import type { Directory } from '../../libs/directory/src/types.js';
import { ldapOptions } from './directory.js';
import { deliverFromStream } from '../../libs/delivery/src/deliver-stream.js';
import { join } from 'node:path';
import { createDeliverer } from './lmtp.js';
import { isMailError } from '../../libs/core/src/errors.js';
import type { MailStore } from '../../libs/mailstore/src/types.js';
import { createStore } from './store.js';

const EX = { OK: 0, USAGE: 64, DATAERR: 65, NOUSER: 67, CANTCREAT: 73, TEMPFAIL: 75, CONFIG: 78 } as const;
const USAGE = 'usage: deliver -d user@example.org [-m Folder] [-f sender] [--config FILE] < message\n';

/** MailError code → exit code. Anything unknown is temporary: better a retry than lost mail. */
function exitCodeFor(code: string): number {
  switch (code) {
    case 'NOTFOUND': return EX.NOUSER;
    case 'OVERQUOTA': return EX.CANTCREAT;
    case 'TOOBIG': return EX.DATAERR;
    default: return EX.TEMPFAIL;
  }
}

async function run(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2), strict: true, allowPositionals: false,
      options: { destination: { type: 'string', short: 'd' }, mailbox: { type: 'string', short: 'm' }, from: { type: 'string', short: 'f' }, config: { type: 'string', short: 'c' } },
    }));
  } catch (e) {
    process.stderr.write(`deliver: ${(e as Error).message}\n${USAGE}`);
    return EX.USAGE;
  }
  if (!values.destination) { process.stderr.write(`deliver: -d user is required\n${USAGE}`); return EX.USAGE; }
  const loaded = loadConfig(values.config ?? null, process.env);
  if (!loaded.config) {
    for (const e of loaded.errors) process.stderr.write(`deliver: config error: ${e}\n`);
    return EX.CONFIG;
  }
  const c = loaded.config;
  let directory: Directory | null = null;
  let store: MailStore | null = null;
  try {
    directory = c.directory.type === 'ldap'
      ? new LdapDirectory(ldapOptions(c))
      : await FileDirectory.open({ path: c.directory.path, checkIntervalMs: 60_000 });
    store = createStore({ hostname: c.node.hostname, fsync: c.storage.fsync });
    // The same path as LMTP: Sieve (global + the user's active script), folders, relay.
    const log = (o: object, m: string) => process.stderr.write(`deliver: ${m} ${JSON.stringify(o, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
    const d = createDeliverer(c, store, directory, { info() {}, warn: log, error: log });
    try {
      await deliverFromStream(d.delivery, { recipient: values.destination, from: values.from ?? '', folder: values.mailbox, spoolDir: join(c.node.dataDir, 'spool') }, process.stdin);
    } finally {
      d.close();
    }
    return EX.OK;
  } catch (e) {
    if (isMailError(e)) {
      const detail = e.cause instanceof Error ? ` (${e.cause.message})` : '';
      process.stderr.write(`deliver: ${values.destination}: ${e.message}${detail}\n`);
      return exitCodeFor(e.code);
    }
    process.stderr.write(`deliver: ${values.destination}: temporary failure: ${e instanceof Error ? e.message : String(e)}\n`);
    return EX.TEMPFAIL;
  } finally {
    await store?.close().catch(() => undefined);
    await directory?.close();
  }
}

run().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`deliver: ${String(e)}\n`);
  process.exitCode = EX.TEMPFAIL;
});
