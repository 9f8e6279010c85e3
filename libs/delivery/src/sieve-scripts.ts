/**
 * Finding and compiling the scripts a delivery runs, in the UCS / Pigeonhole layout: the user's
 * active script is `<home>/.dovecot.sieve`, a symlink to `<home>/sieve/<name>.sieve`; a global
 * script (sieve_before) runs first. Compiled scripts are cached by path, mtime and size, so a
 * delivery costs one stat per script.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LIMITS } from '../../core/src/limits.js';
import { parseScript } from '../../sieve/src/index.js';
import type { IncludeResolver, ParseError, Script } from '../../sieve/src/types.js';

export const ACTIVE_SCRIPT_LINK = '.dovecot.sieve';

/** The UCS spam filter (univention-mail-dovecot's global sieve script): X-Spam-Flag: YES goes to Spam. */
export const UCS_SPAM_SCRIPT = `require ["fileinto", "mailbox"];
# UCS: messages flagged by SpamAssassin go to the Spam folder
if header :contains "X-Spam-Flag" "YES" {
  fileinto :create "Spam";
  stop;
}
`;

export type Compiled = { ok: true; script: Script; name: string } | { ok: false; error: ParseError; name: string };

const MAX_CACHED = 2000;

export class ScriptCache {
  private readonly cache = new Map<string, { stamp: string; compiled: Compiled }>();
  private inline: Compiled | null = null;

  /** `before` is a file path (starts with "/") or the script text itself; null for none. */
  constructor(private readonly before: string | null) {}

  async beforeScript(): Promise<Compiled | null> {
    if (this.before === null || this.before.trim() === '') return null;
    if (!this.before.startsWith('/')) {
      this.inline ??= compile(this.before, 'sieve_before');
      return this.inline;
    }
    return this.fromFile(this.before);
  }

  /** The user's active script, or null when none is active (no link, or a dangling one). */
  userScript(home: string): Promise<Compiled | null> {
    return this.fromFile(join(home, ACTIVE_SCRIPT_LINK));
  }

  private async fromFile(path: string): Promise<Compiled | null> {
    let st;
    try { st = await stat(path); } catch { return null; } // stat follows the link
    if (!st.isFile()) return null;
    const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    const hit = this.cache.get(path);
    if (hit && hit.stamp === stamp) return hit.compiled;
    let text: string;
    try { text = await readFile(path, 'utf8'); } catch { return null; }
    const compiled = compile(text, path);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(path, { stamp, compiled });
    return compiled;
  }
}

function compile(text: string, name: string): Compiled {
  const r = parseScript(text);
  return r.ok ? { ok: true, script: r.script, name } : { ok: false, error: r.error, name };
}

/** Directory of the user's scripts (ManageSieve stores them there; Pigeonhole sieve_dir). */
export const PERSONAL_SCRIPT_DIR = 'sieve';

/**
 * `include` (RFC 6609 §3.2): `:personal` names a script in `<home>/sieve/<name>.sieve`, `:global`
 * one in `globalDir/<name>.sieve` (Pigeonhole sieve_global). Names that could leave the directory
 * ("/", NUL, a leading ".") or scripts larger than LIMITS.sieveMaxScriptSize count as missing, which
 * the interpreter reports as a runtime error (implicit keep), or skips with `:optional`.
 */
export function includeResolver(home: string, globalDir: string | null): IncludeResolver {
  return async (name, location) => {
    if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name)) return null;
    const dir = location === 'global' ? globalDir : join(home, PERSONAL_SCRIPT_DIR);
    if (!dir) return null;
    return readBounded(join(dir, `${name}.sieve`), LIMITS.sieveMaxScriptSize);
  };
}

async function readBounded(path: string, max: number): Promise<string | null> {
  let fh;
  try { fh = await open(path, 'r'); } catch { return null; }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > max) return null;
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch { return null; } finally { await fh.close(); }
}
