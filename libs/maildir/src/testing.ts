/** Test helpers (not tests): temp mail homes. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountRef } from '../../mailstore/src/types.js';
import { MaildirStore } from './store.js';

export async function tempHome(): Promise<{ dir: string; ref: AccountRef; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'maildir-test-'));
  const ref: AccountRef = { user: 'alice@example.org', home: join(dir, 'alice') };
  return { dir, ref, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function makeMaildirStore(opts: { fsync?: boolean } = {}) {
  const h = await tempHome();
  return { store: new MaildirStore({ hostname: 'test.host', fsync: opts.fsync ?? false }), ref: h.ref, cleanup: h.cleanup, dir: h.dir };
}
