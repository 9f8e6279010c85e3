/**
 * One generated mailbox copied to every user twice, under `base`: ours-mail for our server and
 * dovecot-mail (owned by Dovecot's mail user) for the reference, so both compare benchmarks start
 * each side from the same messages.
 */
import { join } from 'node:path';
import { chownTree } from './dovecot.js';
import { copyMaildir, generateMaildir } from './maildir-gen.js';

export function seedTwinRoots(base: string, users: readonly { user: string }[], messages: number): { oursRoot: string; doveRoot: string } {
  const oursRoot = join(base, 'ours-mail'), doveRoot = join(base, 'dovecot-mail');
  const seed = join(base, 'seed');
  generateMaildir({ dir: seed, messages, seed: 1 });
  for (const c of users) {
    const [local, domain] = c.user.split('@') as [string, string];
    copyMaildir(seed, join(oursRoot, domain, local, 'Maildir'), false);
    copyMaildir(seed, join(doveRoot, domain, local, 'Maildir'), false);
  }
  chownTree(doveRoot);
  return { oursRoot, doveRoot };
}
