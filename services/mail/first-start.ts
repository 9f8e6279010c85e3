/**
 * First start of the embedded default: create the data directory and, when the users file does not
 * exist, a users file with one sample user whose random password is printed once.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import type { MailConfig } from '../../libs/config/src/schema.js';

export const SAMPLE_USER = 'demo@example.org';

/**
 * Returns the sample user's password when the users file was created now, else null.
 * Only the default users file (<dataDir>/users.yaml) is created: a configured path that does not
 * exist is more likely a typo than a wish for a demo user, so it fails the start instead.
 */
export async function firstStart(c: MailConfig): Promise<string | null> {
  await mkdir(c.node.dataDir, { recursive: true, mode: 0o750 });
  await mkdir(c.storage.mailRoot, { recursive: true, mode: 0o750 });
  if (c.directory.path !== join(c.node.dataDir, 'users.yaml')) return null;
  const password = randomBytes(9).toString('base64url');
  const text = `# Users of this mail node. Reloaded when this file changes and on SIGHUP.
# Format: docs/configuration.md ("Users file"). New password hash: mailnode hash-password
users:
  ${SAMPLE_USER}:
    password: "${hashPassword(password)}"
    aliases: [postmaster@example.org]
    quota: 0
`;
  await mkdir(dirname(c.directory.path), { recursive: true, mode: 0o750 });
  try {
    // 'wx': never overwrite a users file someone already has.
    await writeFile(c.directory.path, text, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw e;
  }
  return password;
}
