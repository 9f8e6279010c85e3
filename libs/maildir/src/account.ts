/**
 * One user's mail home: `<home>/Maildir` in Maildir++ layout (INBOX at the root, `A/B` at `.A.B`).
 * Mailbox management (list/create/delete/rename/subscribe), STATUS, APPEND and copy/move.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open, readdir, rename, rm, stat, copyFile, utimes } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MailError } from '../../core/src/errors.js';
import type {
  AccountRef, AppendOptions, AppendResult, CopyResult, MailAccount, Mailbox, MailboxInfo, MailboxStatus, QuotaUsage, SpecialUse,
} from '../../mailstore/src/types.js';
import type { MessageStructure } from '../../mime/src/types.js';
import { newStructureParser } from './parser.js';
import { CrlfNormalizer } from './crlf.js';
import { FolderState, fsyncDir, KEYWORDS, makeFolderDirs, type ImportItem } from './folder.js';
import { isValidKeyword } from './keywords.js';
import { canonicalSystemFlag, parseFilename, baseOf } from './maildir-filename.js';
import { MaildirMailbox, type MailboxOwner } from './mailbox.js';
import { canonicalName, dirForName, nameForDir, parentsOf } from './names.js';
import { MaildirQuota } from './quota.js';
import { canonicalSpecialUse, readSpecialUse, writeSpecialUse } from './special-use.js';
import { Subscriptions } from './subscriptions.js';
import { tmpName, uniqueBase } from './unique.js';
import { CREATE_EXCL } from './dotlock.js';
import { statQuick, syncCall, syncIo } from './fastio.js';

/** What an account needs from the store: the shared per-folder states of this process. */
export interface FolderRegistry {
  readonly hostname: string;
  readonly fsync: boolean;
  acquire(dir: string, name: string): Promise<FolderState>;
  /** `drop`: close it now if no one else holds it (MaildirStore.release). */
  release(state: FolderState, drop?: boolean): Promise<void>;
  /** Forgets states of `dir` and everything below (after delete/rename); their handles see the folder gone. */
  invalidate(dir: string): void;
  /** A lazy delivery put a file into `dir` behind its folder state. */
  changedOnDisk?(dir: string): void;
}

/** A message file being written in tmp/. */
interface TmpFile {
  write(data: Buffer): Promise<void> | void;
  sync(): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * Creates a tmp/ file (O_EXCL): synchronous calls while storage is fast (fastio.ts), so a small
 * APPEND costs open + write + close syscalls, not three thread-pool round trips; still written
 * chunk by chunk as the message arrives (never held whole).
 */
async function createTmp(path: string): Promise<TmpFile> {
  if (syncIo()) {
    const fd = syncCall(() => openSync(path, CREATE_EXCL, 0o600));
    let closed = false;
    return {
      write: (data) => syncCall(() => { let off = 0; while (off < data.length) off += writeSync(fd, data, off, data.length - off); }),
      sync: () => syncCall(() => fsyncSync(fd)),
      close: () => { if (!closed) { closed = true; closeSync(fd); } },
    };
  }
  const fh = await open(path, CREATE_EXCL, 0o600);
  return {
    write: async (data) => { let off = 0; while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten; },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** Validates APPEND flags: system flags canonicalised, \Recent dropped, keywords must be atoms. */
function cleanFlags(flags: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  for (const f of flags ?? []) {
    if (f.startsWith('\\')) {
      const c = canonicalSystemFlag(f);
      if (c) out.add(c);
    } else if (isValidKeyword(f)) {
      out.add(f);
    }
  }
  return [...out];
}

export class MaildirAccount implements MailAccount, MailboxOwner {
  readonly user: string;
  readonly maildir: string;
  private readonly quotaFile: MaildirQuota;
  private readonly subs: Subscriptions;

  constructor(private readonly reg: FolderRegistry, ref: AccountRef) {
    this.user = ref.user;
    this.maildir = join(ref.home, 'Maildir');
    this.quotaFile = new MaildirQuota(this.maildir, { bytes: ref.quotaBytes || null, messages: ref.quotaMessages || null }, reg.fsync);
    this.subs = new Subscriptions(this.maildir, reg.fsync);
  }

  /** Creates the Maildir (INBOX) on first use, as Dovecot does at login. */
  async init(): Promise<void> {
    // Every login and delivery opens the account: while storage is fast, three stats (no error
    // objects) tell that the Maildir is there; the mkdirs run only when something is missing.
    const isDir = (sub: string): boolean => { try { return statQuick(join(this.maildir, sub))?.isDirectory() ?? false; } catch { return false; } };
    if (syncIo() && isDir('cur') && isDir('new') && isDir('tmp')) return;
    await makeFolderDirs(this.maildir, true);
  }

  private dirOf(canonical: string): string {
    return join(this.maildir, dirForName(canonical));
  }

  private async exists(canonical: string): Promise<boolean> {
    try { return (await stat(join(this.dirOf(canonical), 'cur'))).isDirectory(); } catch { return false; }
  }

  /** Every folder directory name → client name. */
  private async folders(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const e of await readdir(this.maildir, { withFileTypes: true })) {
      if (!e.isDirectory() && !e.isSymbolicLink()) continue;
      const name = nameForDir(e.name);
      if (name !== null) out.set(name, e.name);
    }
    return out;
  }

  async list(): Promise<MailboxInfo[]> {
    const folders = await this.folders();
    const subscribed = new Set(await this.subs.list());
    const names = new Set(folders.keys());
    const parents = new Set<string>();
    for (const n of names) for (const p of parentsOf(n)) if (!names.has(p) && p !== 'INBOX') parents.add(p);
    const out: MailboxInfo[] = [{ name: 'INBOX', specialUse: [], subscribed: subscribed.has('INBOX'), noSelect: false }];
    const sorted = [...names, ...parents].sort();
    for (const n of sorted) {
      const isParent = !names.has(n);
      out.push({
        name: n,
        specialUse: isParent ? [] : await readSpecialUse(join(this.maildir, folders.get(n)!)),
        subscribed: subscribed.has(n),
        noSelect: isParent,
      });
    }
    // RFC 3501 §6.3.6: a subscription is not removed when its mailbox goes away; LSUB still lists it.
    for (const n of subscribed) {
      if (n !== 'INBOX' && !names.has(n) && !parents.has(n)) out.push({ name: n, specialUse: [], subscribed: true, noSelect: true, nonExistent: true });
    }
    return out;
  }

  async create(name: string, opts?: { specialUse?: readonly SpecialUse[] }): Promise<void> {
    const c = canonicalName(name);
    if (c === 'INBOX') throw new MailError('EXISTS', 'Mailbox already exists');
    const uses: SpecialUse[] = [];
    for (const u of opts?.specialUse ?? []) {
      const cu = canonicalSpecialUse(u);
      if (!cu) throw new MailError('BADNAME', 'Unsupported special-use attribute');
      if (!uses.includes(cu)) uses.push(cu);
    }
    if (await this.exists(c)) throw new MailError('EXISTS', 'Mailbox already exists');
    // Build the folder in tmp/ and rename it into place: others never see a half-made folder, and
    // rename onto an existing (non-empty) folder fails, so two concurrent CREATEs cannot both win.
    const tmp = join(this.maildir, 'tmp', `.create.${randomBytes(8).toString('hex')}`);
    await makeFolderDirs(tmp, false);
    if (uses.length) await writeSpecialUse(tmp, uses, this.reg.fsync);
    try {
      await rename(tmp, this.dirOf(c));
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if (errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') throw new MailError('EXISTS', 'Mailbox already exists');
      throw e;
    }
  }

  /** Moves a folder directory out of sight (atomic), then removes it. Returns its message bytes/count. */
  private async removeDir(dir: string): Promise<{ bytes: number; count: number }> {
    const trash = join(this.maildir, 'tmp', `.deleted.${randomBytes(8).toString('hex')}`);
    await rename(dir, trash);
    this.reg.invalidate(dir);
    let bytes = 0;
    let count = 0;
    for (const sub of ['cur', 'new']) {
      let names: string[] = [];
      try { names = await readdir(join(trash, sub)); } catch { /* empty */ }
      for (const n of names) {
        const p = parseFilename(baseOf(n));
        let size = p.size;
        if (size === null) { try { size = (await stat(join(trash, sub, n))).size; } catch { size = 0; } }
        bytes += size;
        count++;
      }
    }
    await rm(trash, { recursive: true, force: true });
    return { bytes, count };
  }

  async delete(name: string): Promise<void> {
    const c = canonicalName(name);
    if (c === 'INBOX') throw new MailError('PERM', 'INBOX cannot be deleted');
    if (!(await this.exists(c))) throw new MailError('NOTFOUND', 'Mailbox does not exist');
    let removed: { bytes: number; count: number };
    try {
      removed = await this.removeDir(this.dirOf(c));
    } catch (e) {
      if (errno(e) === 'ENOENT') throw new MailError('NOTFOUND', 'Mailbox does not exist');
      throw e;
    }
    await this.quotaFile.add(-removed.bytes, -removed.count);
  }

  async rename(from: string, to: string): Promise<void> {
    const f = canonicalName(from);
    const t = canonicalName(to);
    if (t === 'INBOX') throw new MailError('EXISTS', 'Mailbox already exists');
    if (f === t) throw new MailError('EXISTS', 'Mailbox already exists');
    if (f === 'INBOX') return this.renameInbox(t);
    const folders = await this.folders();
    const fromDir = dirForName(f);
    const toDir = dirForName(t);
    // The folder and its children (RFC 3501 §6.3.5: inferiors are renamed too).
    const moves: Array<[string, string]> = [];
    for (const [name, d] of folders) {
      if (name === f) moves.push([d, toDir]);
      else if (name.startsWith(f + '/')) moves.push([d, toDir + d.slice(fromDir.length)]);
    }
    if (!moves.length) throw new MailError('NOTFOUND', 'Mailbox does not exist');
    const existing = new Set(folders.values());
    for (const [, d] of moves) if (existing.has(d) && !moves.some(([s]) => s === d)) throw new MailError('EXISTS', 'Mailbox already exists');
    if (await this.exists(t)) throw new MailError('EXISTS', 'Mailbox already exists');
    for (const [s, d] of moves) {
      this.reg.invalidate(join(this.maildir, s));
      try {
        await rename(join(this.maildir, s), join(this.maildir, d));
      } catch (e) {
        if (errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') throw new MailError('EXISTS', 'Mailbox already exists');
        if (errno(e) === 'ENOENT') throw new MailError('NOTFOUND', 'Mailbox does not exist');
        throw e;
      }
    }
  }

  /** RFC 3501 §6.3.5: INBOX's messages move to the new mailbox; INBOX stays, empty; INBOX/x children stay. */
  private async renameInbox(to: string): Promise<void> {
    await this.create(to);
    const inbox = await this.reg.acquire(this.maildir, 'INBOX');
    try {
      const dest = this.dirOf(to);
      await copyFile(join(this.maildir, KEYWORDS), join(dest, KEYWORDS)).catch(() => undefined);
      const moved: string[] = [];
      for (const sub of ['new', 'cur']) {
        let names: string[] = [];
        try { names = await readdir(join(this.maildir, sub)); } catch { /* none */ }
        for (const n of names) {
          if (n.startsWith('.')) continue;
          try {
            await rename(join(this.maildir, sub, n), join(dest, sub, n));
            moved.push(baseOf(n));
          } catch (e) {
            if (errno(e) !== 'ENOENT') throw e;
          }
        }
      }
      await inbox.forget(moved);
    } finally {
      await this.reg.release(inbox);
    }
  }

  async subscribe(name: string): Promise<void> {
    await this.subs.set(canonicalName(name), true);
  }

  async unsubscribe(name: string): Promise<void> {
    await this.subs.set(canonicalName(name), false);
  }

  private async acquire(canonical: string): Promise<FolderState> {
    return this.reg.acquire(this.dirOf(canonical), canonical);
  }

  async status(name: string): Promise<MailboxStatus> {
    const c = canonicalName(name);
    const s = await this.acquire(c);
    try {
      await s.sync();
      let unseen = 0, size = 0, deleted = 0;
      for (const r of s.recs) {
        if (!r.flags.includes('\\Seen')) unseen++;
        if (r.flags.includes('\\Deleted')) deleted++;
        size += r.size;
      }
      return {
        messages: s.recs.length, recent: s.recentCount(), uidNext: s.nextUid, uidValidity: s.uidValidity,
        unseen, size, highestModseq: s.highestModseq, deleted,
      };
    } finally {
      await this.reg.release(s);
    }
  }

  async open(name: string, opts?: { readOnly?: boolean }): Promise<Mailbox> {
    const c = canonicalName(name);
    const s = await this.acquire(c);
    return new MaildirMailbox(c, !!opts?.readOnly, s, this);
  }

  async append(name: string, message: Readable, opts: AppendOptions = {}): Promise<AppendResult> {
    const c = canonicalName(name);
    const flags = cleanFlags(opts.flags);
    if (opts.delivery && opts.lazyUid && flags.length === 0) return this.deliverToNew(c, message, opts);
    const s = await this.acquire(c);
    try {
      if (opts.sizeHint !== undefined) await this.quotaFile.check(opts.sizeHint, 1);
      const tmp = join(s.dir, 'tmp', tmpName(this.reg.hostname));
      let size = 0;
      let structure: MessageStructure | null = null;
      const fh = await createTmp(tmp);
      try {
        // A delivery's structure is cached as it is written (its mail gets fetched). An IMAP APPEND's
        // is not: the client has the message, FETCH ENVELOPE and header fields need only the header
        // (envelope-fetch.ts, header-read.ts), and a first BODYSTRUCTURE parses it then, as in
        // Dovecot; a Sent copy or a draft replaced a moment later costs no parse and no cache record.
        const parser = opts.delivery ? await newStructureParser() : null;
        let parserOk = parser !== null;
        const norm = new CrlfNormalizer();
        // Streamed: each chunk is normalised, fed to the MIME parser and written before the next
        // is read, so memory stays at one chunk whatever the message size.
        for await (const chunk of message) {
          const data = norm.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
          if (parserOk) { try { parser!.write(data); } catch { parserOk = false; } }
          await fh.write(data);
          size += data.length;
        }
        if (this.reg.fsync) await fh.sync();
        if (parserOk) { try { structure = parser!.end(); } catch { structure = null; } }
      } catch (e) {
        await fh.close();
        await rm(tmp, { force: true });
        throw e;
      }
      await fh.close();
      try {
        await this.quotaFile.check(size, 1);
        const uid = await s.addFromTmp(tmp, {
          size, flags, internalDate: opts.internalDate ?? Date.now(), delivery: !!opts.delivery, structure,
        });
        await this.quotaFile.add(size, 1);
        return { uidValidity: s.uidValidity, uid, size };
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    } finally {
      await this.reg.release(s);
    }
  }

  /**
   * A delivery as Dovecot's LMTP does it into Maildir: write tmp/<name>, fsync, rename into
   * new/<name>, fsync new/, add to maildirsize. No folder state, no dovecot-uidlist lock, no UID:
   * the next reader (sync of any process) finds the file in new/ and assigns its UID under the
   * uidlist lock, as it does for a delivery by another process. The structure cache is filled
   * lazily by the first FETCH. Durable before return: file data + rename + directory fsync.
   */
  private async deliverToNew(c: string, message: Readable, opts: AppendOptions): Promise<AppendResult> {
    if (opts.sizeHint !== undefined) await this.quotaFile.check(opts.sizeHint, 1);
    const dir = this.dirOf(c);
    const tmp = join(dir, 'tmp', tmpName(this.reg.hostname));
    let fh: TmpFile;
    try {
      fh = await createTmp(tmp);
    } catch (e) {
      message.resume();
      if (errno(e) === 'ENOENT') throw new MailError('NOTFOUND', 'Mailbox does not exist');
      throw e;
    }
    let size = 0;
    try {
      const norm = new CrlfNormalizer();
      for await (const chunk of message) {
        const data = norm.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
        await fh.write(data);
        size += data.length;
      }
      if (this.reg.fsync) await fh.sync();
    } catch (e) {
      try { await fh.close(); } catch { /* already failing */ }
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    try {
      await this.quotaFile.check(size, 1);
      if (opts.internalDate !== undefined) await utimes(tmp, opts.internalDate / 1000, opts.internalDate / 1000);
      try {
        await rename(tmp, join(dir, 'new', uniqueBase(this.reg.hostname, size, size)));
      } catch (e) {
        if (errno(e) === 'ENOENT') throw new MailError('NOTFOUND', 'Mailbox does not exist');
        throw e;
      }
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    if (this.reg.fsync) await fsyncDir(join(dir, 'new'));
    this.reg.changedOnDisk?.(dir);
    await this.quotaFile.add(size, 1);
    return { uidValidity: 0, uid: 0, size };
  }

  async copyMove(src: FolderState, uids: readonly number[], dest: string, move: boolean): Promise<CopyResult> {
    const c = canonicalName(dest);
    const d = await this.acquire(c);
    try {
      await src.sync();
      const recs = [...new Set(uids)].sort((a, b) => a - b).map((u) => src.byUid.get(u)).filter((r) => r !== undefined);
      if (!move) await this.quotaFile.check(recs.reduce((n, r) => n + r.fsize, 0), recs.length);
      const items: ImportItem[] = [];
      for (const r of recs) {
        items.push({
          srcPath: src.pathOf(r), fsize: r.fsize, size: r.size, flags: r.flags, internalDate: r.internalDate,
          structure: await src.cache.get(r.uid).catch(() => null),
        });
      }
      // A move takes the files out of the source folder: its watch must not take that for another process.
      if (move) for (const r of recs) src.expectOwn(r.inNew ? 'new' : 'cur', r.name);
      const destUids = await d.importFiles(items, move);
      const sourceUids: number[] = [];
      const outDest: number[] = [];
      let bytes = 0;
      recs.forEach((r, i) => {
        const du = destUids[i];
        if (du !== null && du !== undefined) { sourceUids.push(r.uid); outDest.push(du); bytes += r.fsize; }
      });
      if (move) await src.forget(recs.filter((_r, i) => destUids[i] != null).map((r) => r.base));
      else await this.quotaFile.add(bytes, sourceUids.length);
      return { uidValidity: d.uidValidity, sourceUids, destUids: outDest };
    } finally {
      await this.reg.release(d);
    }
  }

  async expunged(bytes: number, count: number): Promise<void> {
    await this.quotaFile.add(-bytes, -count);
  }

  async release(state: FolderState, drop = false): Promise<void> {
    await this.reg.release(state, drop);
  }

  async quota(): Promise<QuotaUsage> {
    const u = await this.quotaFile.usage();
    const lim = this.quotaFile.limits;
    return { storageUsed: u.bytes, storageLimit: lim.bytes, messagesUsed: u.messages, messagesLimit: lim.messages };
  }

  async close(): Promise<void> {
    // Handles release their folders themselves; nothing account-wide is held open.
  }
}
