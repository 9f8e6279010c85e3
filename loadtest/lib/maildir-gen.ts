/**
 * Deterministic Maildir generator for benchmarks.
 *
 * Writes `<maildir>/{cur,new,tmp}` with N messages in cur/ named like Dovecot names delivered
 * mail: `<secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<vsize>:2,<flags>` (Maildir "info" :2, with
 * flags in ASCII order, as the Maildir spec requires). No dovecot-uidlist, dovecot-keywords or
 * index files are written: every server builds its own index on first SELECT.
 *
 * Messages are realistic and varied (text/plain, multipart/alternative text+HTML,
 * multipart/mixed with a base64 attachment of a few KB; 1–30 KB; varied senders, subjects and
 * dates; LF line ends as Maildir stores them) and depend only on the seed. Speed comes from
 * building paragraphs and attachments once and assembling messages from that pool.
 */
import { mkdirSync, writeFileSync, linkSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GenerateOptions {
  /** Maildir root (contains cur/new/tmp after the call). */
  dir: string;
  messages: number;
  seed?: number;
  /** Word present in roughly 1 of `rareEvery` bodies (for body SEARCH). Default "zanzibar", every 100. */
  rareWord?: string;
  rareEvery?: number;
  /** Hostname part of file names. */
  host?: string;
  /** Base Unix time of the first message (seconds); later ones are spaced ~1 minute apart. */
  baseTime?: number;
}

export interface GenerateResult {
  dir: string;
  messages: number;
  totalBytes: number;
  /** Messages whose body contains the rare word. */
  rareCount: number;
  /** Messages with \Seen / \Flagged / \Deleted flags. */
  seen: number;
  flagged: number;
  ms: number;
}

/** mulberry32: tiny, fast, good enough for test data; same seed → same sequence on every platform. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the of and to in is that for it as with was on be by this are from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three states himself few house use during without again place around however home small found thought went say part once general high upon school every does got united left number course war until always away something fact though water less public put think almost hand enough far took head yet government system better set told nothing night end why called didnt eyes find going look asked later knew point next program city business give group toward young days let room president side social given present several order national possible rather second face per among form important often things looked early white case john become large big need four within felt along children saw best church ever least power development light thing seemed family interest want members mind country area others done turned although open god service certain kind problem began different door thus help sense means whole matter perhaps itself york times law human line above name example action company hands local show whether five history gave today either act feet across taken past quite anyone having seen death experience body word half really week field car words already themselves information tell together college shall money period held keep sure probably free seems political real cannot behind miss question air office making brought whose special major heard federal became study ago moment available known result street economic boy position reason change south board individual job society areas west close turn love community true court force full seem am wife age future voice center woman control common policy necessary following front sometimes six girl clear further land able feel mother music party provide university').split(' ');

const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Zoë', 'Jürgen', 'Søren', 'Łukasz', 'Chloé'];
const LAST = ['Smith', 'Jones', 'Müller', 'Schmidt', 'García', 'Rossi', 'Dubois', 'Nowak', 'Kowalski', 'Novak', 'Tanaka', 'Silva', 'Johansson', 'Meyer', 'Weber', 'Fischer'];
const DOMAINS = ['example.org', 'example.com', 'example.net', 'mail.example.de', 'lists.example.org', 'univention.example'];
const SUBJ_PREFIX = ['', '', '', 'Re: ', 'Fwd: ', 'RE: ', '[list] ', 'AW: '];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pick<T>(r: () => number, a: readonly T[]): T { return a[Math.floor(r() * a.length)]!; }

function sentence(r: () => number): string {
  const n = 6 + Math.floor(r() * 14);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(pick(r, WORDS));
  const s = w.join(' ');
  return s[0]!.toUpperCase() + s.slice(1) + '.';
}

/** Wraps text at ~72 columns (RFC 5322 §2.1.1 says lines SHOULD be at most 78). */
function wrap(text: string): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line.length + w.length + 1 > 72) { out.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join('\n');
}

/** RFC 2047 encoded-word for non-ASCII display names. */
function encodeWord(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(s)) return /[",.;:<>@()[\]\\]/.test(s) ? `"${s}"` : s;
  return `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function rfc5322Date(t: number, tzMin: number): string {
  const d = new Date((t + tzMin * 60) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const sign = tzMin < 0 ? '-' : '+';
  const a = Math.abs(tzMin);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${sign}${p(Math.floor(a / 60))}${p(a % 60)}`;
}

interface Pool { paragraphs: string[]; attachments: { name: string; type: string; b64: string }[] }

function buildPool(seed: number): Pool {
  const r = rng(seed ^ 0x9e3779b9);
  const paragraphs: string[] = [];
  for (let i = 0; i < 400; i++) {
    const n = 2 + Math.floor(r() * 6);
    const s: string[] = [];
    for (let j = 0; j < n; j++) s.push(sentence(r));
    paragraphs.push(wrap(s.join(' ')));
  }
  const attachments: Pool['attachments'] = [];
  const kinds = [['report.pdf', 'application/pdf'], ['photo.jpg', 'image/jpeg'], ['data.csv', 'text/csv'], ['notes.txt', 'text/plain'], ['archive.zip', 'application/zip']] as const;
  for (let i = 0; i < 24; i++) {
    const size = 1024 + Math.floor(r() * 7 * 1024); // 1–8 KB raw
    const raw = Buffer.alloc(size);
    for (let k = 0; k < size; k++) raw[k] = Math.floor(r() * 256);
    const b64 = raw.toString('base64').replace(/.{76}/g, '$&\n'); // RFC 2045 §6.8: lines ≤ 76
    const [name, type] = kinds[i % kinds.length]!;
    attachments.push({ name: `${i}-${name}`, type, b64 });
  }
  return { paragraphs, attachments };
}

function bodyText(r: () => number, pool: Pool, minBytes: number, rare: string | null): string {
  const parts: string[] = [];
  let len = 0;
  const greet = `Hello ${pick(r, FIRST)},`;
  parts.push(greet); len += greet.length;
  while (len < minBytes) {
    const p = pool.paragraphs[Math.floor(r() * pool.paragraphs.length)]!;
    parts.push(p); len += p.length + 2;
  }
  if (rare) parts.splice(1 + Math.floor(r() * (parts.length - 1)), 0, `By the way, the ${rare} numbers are in.`);
  parts.push(`Regards,\n${pick(r, FIRST)}`);
  return parts.join('\n\n') + '\n';
}

function toHtml(text: string): string {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<html><body>\n${esc.split('\n\n').map((p) => `<p>${p}</p>`).join('\n')}\n</body></html>\n`;
}

/** One message, LF line ends. Exported for tests. */
export function makeMessage(i: number, r: () => number, pool: Pool, opts: { rare: string | null; baseTime: number; host: string }): { text: string; time: number } {
  const fromFirst = pick(r, FIRST), fromLast = pick(r, LAST);
  const fromAddr = `${fromFirst.normalize('NFD').replace(/[^\x20-\x7e]/g, '').toLowerCase()}.${fromLast.normalize('NFD').replace(/[^\x20-\x7e]/g, '').toLowerCase()}@${pick(r, DOMAINS)}`;
  const time = opts.baseTime + i * 60 + Math.floor(r() * 50);
  const tz = pick(r, [0, 60, 120, -300, -480, 330]);
  const subjWords: string[] = [];
  const sw = 2 + Math.floor(r() * 8);
  for (let k = 0; k < sw; k++) subjWords.push(pick(r, WORDS));
  let subject = pick(r, SUBJ_PREFIX) + subjWords.join(' ');
  subject = subject[0]!.toUpperCase() + subject.slice(1) + ` #${i}`;
  if (r() < 0.05) subject = `=?UTF-8?Q?${Buffer.from('Grüße', 'utf8').toString('hex').replace(/(..)/g, '=$1').toUpperCase()}?= ${subject}`;
  const cc = r() < 0.3 ? `Cc: ${encodeWord(pick(r, FIRST) + ' ' + pick(r, LAST))} <cc${i % 97}@${pick(r, DOMAINS)}>\n` : '';
  const inReply = subject.startsWith('Re:') || subject.startsWith('RE:') ? `In-Reply-To: <${i - 1}.${opts.host}@bench.example>\n` : '';
  // Size class: most mail small, a tail up to ~30 KB (RFC 3501 tests care about variety, not exact shape).
  const u = r();
  const target = u < 0.55 ? 600 + Math.floor(r() * 2500) : u < 0.85 ? 3000 + Math.floor(r() * 7000) : 10000 + Math.floor(r() * 18000);
  const kind = r();
  const head =
    `Return-Path: <${fromAddr}>\n` +
    `Received: from mx${i % 7}.example.net (mx${i % 7}.example.net [192.0.2.${i % 250}])\n\tby mail.example.org with ESMTPS id ${(i * 2654435761 >>> 0).toString(36)}\n\tfor <user@example.org>; ${rfc5322Date(time, 0)}\n` +
    `Message-ID: <${i}.${opts.host}@bench.example>\n` +
    inReply +
    `Date: ${rfc5322Date(time, tz)}\n` +
    `From: ${encodeWord(`${fromFirst} ${fromLast}`)} <${fromAddr}>\n` +
    `To: User <user@example.org>\n` + cc +
    `Subject: ${subject}\n` +
    `MIME-Version: 1.0\n`;
  const rare = opts.rare;
  let text: string;
  if (kind < 0.5) {
    text = head + `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n` + bodyText(r, pool, target, rare);
  } else if (kind < 0.8) {
    const t = bodyText(r, pool, Math.floor(target / 2), rare);
    const b = `alt-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    text = head + `Content-Type: multipart/alternative; boundary="${b}"\n\nThis is a multi-part message in MIME format.\n\n` +
      `--${b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${t}\n` +
      `--${b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${toHtml(t)}\n--${b}--\n`;
  } else {
    const a = pool.attachments[Math.floor(r() * pool.attachments.length)]!;
    const t = bodyText(r, pool, Math.max(300, target - a.b64.length), rare);
    const b = `mix-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    text = head + `Content-Type: multipart/mixed; boundary="${b}"\n\n` +
      `--${b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${t}\n` +
      `--${b}\nContent-Type: ${a.type}; name="${a.name}"\nContent-Disposition: attachment; filename="${a.name}"\nContent-Transfer-Encoding: base64\n\n${a.b64}\n--${b}--\n`;
  }
  return { text, time };
}

/** Maildir flags as they appear after ":2," (ASCII order: D F P R S T). */
function flagsFor(r: () => number): string {
  let f = '';
  if (r() < 0.02) f += 'D';
  if (r() < 0.06) f += 'F';
  if (r() < 0.10) f += 'R';
  if (r() < 0.75) f += 'S';
  if (r() < 0.01) f += 'T';
  return f;
}

export function generateMaildir(o: GenerateOptions): GenerateResult {
  const t0 = process.hrtime.bigint();
  const seed = o.seed ?? 1;
  const host = o.host ?? 'bench';
  const rareWord = o.rareWord ?? 'zanzibar';
  const rareEvery = o.rareEvery ?? 100;
  const baseTime = o.baseTime ?? 1_700_000_000;
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(o.dir, d), { recursive: true });
  const pool = buildPool(seed);
  const r = rng(seed);
  let total = 0, rareCount = 0, seen = 0, flagged = 0;
  for (let i = 0; i < o.messages; i++) {
    const rare = r() * rareEvery < 1 ? rareWord : null;
    if (rare) rareCount++;
    const { text, time } = makeMessage(i + 1, r, pool, { rare, baseTime, host });
    const data = Buffer.from(text, 'utf8');
    // W= is the RFC 822 size with CRLF line ends: what RFC822.SIZE reports (Dovecot maildir_filename W=).
    let lines = 0; for (let k = data.indexOf(10); k >= 0; k = data.indexOf(10, k + 1)) lines++;
    const flags = flagsFor(r);
    if (flags.includes('S')) seen++;
    if (flags.includes('F')) flagged++;
    const usec = Math.floor(r() * 1e6);
    const name = `${time}.M${usec}P${1000 + (i % 30000)}Q${i + 1}.${host},S=${data.length},W=${data.length + lines}:2,${flags}`;
    writeFileSync(join(o.dir, 'cur', name), data);
    total += data.length;
  }
  return { dir: o.dir, messages: o.messages, totalBytes: total, rareCount, seen, flagged, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/**
 * Copies a Maildir tree. `hardlink` (default) links message files (Maildir files are never
 * rewritten in place; renames and unlinks in one copy do not touch the other), directories and
 * the small control files are real copies. Returns number of files.
 */
export function copyMaildir(src: string, dst: string, hardlink = true): number {
  let n = 0;
  const walk = (s: string, d: string): void => {
    mkdirSync(d, { recursive: true });
    for (const e of readdirSync(s, { withFileTypes: true })) {
      const sp = join(s, e.name), dp = join(d, e.name);
      if (e.isDirectory()) walk(sp, dp);
      else if (e.isFile()) {
        if (hardlink) linkSync(sp, dp); else copyFileSync(sp, dp);
        n++;
      }
    }
  };
  walk(src, dst);
  return n;
}

const MAILDIR_NAME = /^(\d+)\.[^/:]+(,S=\d+)?(,W=\d+)?:2,[A-Za-z]*$/;
/** True for a name this generator (and Maildir readers) accept in cur/. */
export function isValidMaildirName(name: string): boolean { return MAILDIR_NAME.test(name) && !name.includes('/'); }
