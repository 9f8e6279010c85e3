/**
 * A user's Sieve scripts on disk, laid out as Pigeonhole's file storage and UCS expect:
 * `<home>/sieve/<name>.sieve`, and the active script is the symlink `<home>/.dovecot.sieve` →
 * `sieve/<name>.sieve` (no link = no active script). Every change is a write to a temp file and a
 * rename, so a reader (LMTP running the active script) sees the old or the new script, never half.
 */
import { lstat, mkdir, open, readFile, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MailError } from '../../core/src/errors.js';

const EXT = '.sieve';
export const ACTIVE_LINK = '.dovecot.sieve';
export const SCRIPT_DIR = 'sieve';

export interface ScriptInfo { name: string; active: boolean; size: number }

export interface ScriptQuota {
  maxScripts: number;
  maxStorage: number;
  maxScriptSize: number;
  maxNameLength: number;
}

export type SpaceVerdict = 'ok' | 'maxscripts' | 'maxsize';

/**
 * RFC 5804 §1.6: a name is Net-Unicode without control characters (U+0000–001F, U+007F–009F)
 * and without U+2028/U+2029. We also refuse "/" and a leading "." because names are file names.
 */
export function validScriptName(name: string, maxLength: number): boolean {
  if (name.length === 0 || [...name].length > maxLength) return false;
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029/]/.test(name)) return false;
  if (name.startsWith('.')) return false;
  return name.normalize('NFC') === name;
}

export class ScriptStore {
  readonly dir: string;
  readonly link: string;

  constructor(readonly home: string, private readonly quota: ScriptQuota, private readonly fsync: boolean) {
    this.dir = join(home, SCRIPT_DIR);
    this.link = join(home, ACTIVE_LINK);
  }

  private path(name: string): string {
    if (!validScriptName(name, this.quota.maxNameLength)) throw new MailError('BADNAME', 'Invalid script name');
    return join(this.dir, name + EXT);
  }

  /** Name of the active script, or null. A link to a missing file counts as none. */
  async active(): Promise<string | null> {
    let target: string;
    try { target = await readlink(this.link); } catch { return null; }
    const base = target.split('/').pop() ?? '';
    if (!base.endsWith(EXT)) return null;
    const name = base.slice(0, -EXT.length);
    try { await stat(join(this.dir, base)); } catch { return null; }
    return name;
  }

  async list(): Promise<ScriptInfo[]> {
    let names: string[];
    try { names = await readdir(this.dir); } catch { return []; }
    const active = await this.active();
    const out: ScriptInfo[] = [];
    for (const f of names.sort()) {
      if (!f.endsWith(EXT) || f.startsWith('.')) continue;
      const name = f.slice(0, -EXT.length);
      if (!validScriptName(name, this.quota.maxNameLength)) continue;
      try {
        const st = await stat(join(this.dir, f));
        if (st.isFile()) out.push({ name, active: name === active, size: st.size });
      } catch { /* removed meanwhile */ }
    }
    return out;
  }

  async exists(name: string): Promise<boolean> {
    try { return (await stat(this.path(name))).isFile(); } catch (e) { if (e instanceof MailError) throw e; return false; }
  }

  async get(name: string): Promise<string> {
    try { return await readFile(this.path(name), 'utf8'); } catch (e) {
      if (e instanceof MailError) throw e;
      throw new MailError('NOTFOUND', 'Script does not exist.');
    }
  }

  /**
   * RFC 5804 §2.5 HAVESPACE and the check before PUTSCRIPT: would storing `size` bytes under
   * `name` (replacing a script of that name) stay within the per-user quota?
   */
  async haveSpace(name: string, size: number): Promise<SpaceVerdict> {
    if (size > this.quota.maxScriptSize) return 'maxsize';
    const all = await this.list();
    const existing = all.find((s) => s.name === name);
    if (!existing && all.length + 1 > this.quota.maxScripts) return 'maxscripts';
    const total = all.reduce((n, s) => n + s.size, 0) - (existing?.size ?? 0) + size;
    if (total > this.quota.maxStorage) return 'maxsize';
    return 'ok';
  }

  async put(name: string, content: string): Promise<void> {
    const dest = this.path(name);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.tmp.${randomBytes(8).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(content, 'utf8');
      if (this.fsync) await fh.sync();
    } catch (e) {
      await fh.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    await rename(tmp, dest);
  }

  /** RFC 5804 §2.10: the active script cannot be deleted. */
  async delete(name: string): Promise<void> {
    const p = this.path(name);
    if ((await this.active()) === name) throw new ActiveScriptError();
    try { await rm(p); } catch { throw new MailError('NOTFOUND', 'Script does not exist.'); }
  }

  /** RFC 5804 §2.11.1: renaming the active script keeps it active. */
  async rename(from: string, to: string): Promise<void> {
    const src = this.path(from);
    const dst = this.path(to);
    if (!(await this.exists(from))) throw new MailError('NOTFOUND', 'Script does not exist.');
    if (await this.exists(to)) throw new MailError('EXISTS', 'A script with that name already exists.');
    const wasActive = (await this.active()) === from;
    await rename(src, dst);
    if (wasActive) await this.linkTo(to);
  }

  /** RFC 5804 §2.8: SETACTIVE "" deactivates; otherwise the named script must exist. */
  async setActive(name: string): Promise<void> {
    if (name === '') {
      try {
        if ((await lstat(this.link)).isSymbolicLink()) await rm(this.link);
      } catch { /* none active */ }
      return;
    }
    if (!(await this.exists(name))) throw new MailError('NOTFOUND', 'Script does not exist.');
    await this.linkTo(name);
  }

  private async linkTo(name: string): Promise<void> {
    await this.adoptLegacyFile();
    const tmp = join(this.home, `.dovecot.sieve.tmp.${randomBytes(6).toString('hex')}`);
    await symlink(`${SCRIPT_DIR}/${name}${EXT}`, tmp);
    await rename(tmp, this.link);
  }

  /** A regular file where the link belongs (older setups) is kept as script "dovecot.orig", as Pigeonhole does. */
  private async adoptLegacyFile(): Promise<void> {
    try {
      const st = await lstat(this.link);
      if (!st.isFile()) return;
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await rename(this.link, join(this.dir, `dovecot.orig${EXT}`));
    } catch { /* no file */ }
  }
}

/** Deleting the active script: RFC 5804 §2.10 answers NO (ACTIVE). */
export class ActiveScriptError extends MailError {
  constructor() { super('PERM', 'You may not delete an active script.'); }
}
