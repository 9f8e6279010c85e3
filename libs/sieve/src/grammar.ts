/**
 * Signatures of every command and test this lib knows: which extension provides it, its tagged
 * arguments (with mutually exclusive groups: comparator, match type, address part) and its
 * positional arguments. The validator checks scripts against this table; the interpreter reads
 * arguments through the same table (splitArgs).
 */
import type { Arg, NumberArg, StringArg, StringListArg, TagArg } from './types.js';

export type ArgType = 'string' | 'stringlist' | 'number';

export interface TagSpec {
  /** Tags of one group exclude each other (RFC 5228 §2.7: one comparator, one match type, one address part). */
  group?: string;
  /** Type of the argument the tag takes, if any. */
  arg?: ArgType;
  /** Extension(s) that must be required for this tag; any of them is enough. */
  ext?: string[];
}

export interface Signature {
  /** Extension(s) that must be required (any of them); undefined for core RFC 5228. */
  ext?: string[];
  tags: Record<string, TagSpec>;
  positional: ArgType[];
  /** How many leading positionals may be left out (hasflag/setflag's variable name). */
  optionalLeading?: number;
  /** How many trailing positionals may be left out (deleteheader's value patterns). */
  optionalTrailing?: number;
  test?: 'one' | 'list';
  block?: boolean;
}

const COMPARATOR: Record<string, TagSpec> = { comparator: { group: 'comparator', arg: 'string' } };
const MATCH: Record<string, TagSpec> = {
  is: { group: 'match' }, contains: { group: 'match' }, matches: { group: 'match' },
  regex: { group: 'match', ext: ['regex'] },
  count: { group: 'match', arg: 'string', ext: ['relational'] },
  value: { group: 'match', arg: 'string', ext: ['relational'] },
};
const ADDRESS_PART: Record<string, TagSpec> = {
  all: { group: 'addrpart' }, localpart: { group: 'addrpart' }, domain: { group: 'addrpart' },
  user: { group: 'addrpart', ext: ['subaddress'] }, detail: { group: 'addrpart', ext: ['subaddress'] },
};
const INDEX: Record<string, TagSpec> = { index: { arg: 'number', ext: ['index'] }, last: { ext: ['index'] } };
const ZONE: Record<string, TagSpec> = { zone: { group: 'zone', arg: 'string' }, originalzone: { group: 'zone' } };
const MATCHING = { ...COMPARATOR, ...MATCH };

export const COMMANDS: Record<string, Signature> = {
  require: { tags: {}, positional: ['stringlist'] },
  if: { tags: {}, positional: [], test: 'one', block: true },
  elsif: { tags: {}, positional: [], test: 'one', block: true },
  else: { tags: {}, positional: [], block: true },
  stop: { tags: {}, positional: [] },
  keep: { tags: { flags: { arg: 'stringlist', ext: ['imap4flags'] } }, positional: [] },
  discard: { tags: {}, positional: [] },
  redirect: { tags: { copy: { ext: ['copy'] } }, positional: ['string'] },
  fileinto: {
    ext: ['fileinto'],
    tags: { flags: { arg: 'stringlist', ext: ['imap4flags'] }, copy: { ext: ['copy'] }, create: { ext: ['mailbox'] } },
    positional: ['string'],
  },
  reject: { ext: ['reject'], tags: {}, positional: ['string'] },
  ereject: { ext: ['ereject'], tags: {}, positional: ['string'] },
  vacation: {
    ext: ['vacation'],
    tags: {
      days: { group: 'period', arg: 'number' }, seconds: { group: 'period', arg: 'number', ext: ['vacation-seconds'] },
      subject: { arg: 'string' }, from: { arg: 'string' }, addresses: { arg: 'stringlist' }, mime: {}, handle: { arg: 'string' },
    },
    positional: ['string'],
  },
  set: {
    ext: ['variables'],
    tags: {
      lower: { group: 'case' }, upper: { group: 'case' }, lowerfirst: { group: 'first' }, upperfirst: { group: 'first' },
      quotewildcard: { group: 'quote' }, length: { group: 'length' },
    },
    positional: ['string', 'string'],
  },
  setflag: { ext: ['imap4flags'], tags: {}, positional: ['string', 'stringlist'], optionalLeading: 1 },
  addflag: { ext: ['imap4flags'], tags: {}, positional: ['string', 'stringlist'], optionalLeading: 1 },
  removeflag: { ext: ['imap4flags'], tags: {}, positional: ['string', 'stringlist'], optionalLeading: 1 },
  include: {
    ext: ['include'],
    tags: { personal: { group: 'location' }, global: { group: 'location' }, once: {}, optional: {} },
    positional: ['string'],
  },
  return: { ext: ['include'], tags: {}, positional: [] },
  global: { ext: ['include'], tags: {}, positional: ['stringlist'] },
  addheader: { ext: ['editheader'], tags: { last: {} }, positional: ['string', 'string'] },
  deleteheader: {
    ext: ['editheader'],
    tags: { ...MATCHING, index: { arg: 'number' }, last: {} },
    positional: ['string', 'stringlist'],
    optionalTrailing: 1,
  },
};

export const TESTS: Record<string, Signature> = {
  address: { tags: { ...MATCHING, ...ADDRESS_PART, ...INDEX }, positional: ['stringlist', 'stringlist'] },
  envelope: { ext: ['envelope'], tags: { ...MATCHING, ...ADDRESS_PART }, positional: ['stringlist', 'stringlist'] },
  header: { tags: { ...MATCHING, ...INDEX }, positional: ['stringlist', 'stringlist'] },
  exists: { tags: {}, positional: ['stringlist'] },
  size: { tags: { over: { group: 'size', arg: 'number' }, under: { group: 'size', arg: 'number' } }, positional: [] },
  allof: { tags: {}, positional: [], test: 'list' },
  anyof: { tags: {}, positional: [], test: 'list' },
  not: { tags: {}, positional: [], test: 'one' },
  true: { tags: {}, positional: [] },
  false: { tags: {}, positional: [] },
  body: {
    ext: ['body'],
    tags: { ...MATCHING, raw: { group: 'transform' }, content: { group: 'transform', arg: 'stringlist' }, text: { group: 'transform' } },
    positional: ['stringlist'],
  },
  date: { ext: ['date'], tags: { ...MATCHING, ...ZONE, ...INDEX }, positional: ['string', 'string', 'stringlist'] },
  currentdate: { ext: ['date'], tags: { ...MATCHING, zone: { arg: 'string' } }, positional: ['string', 'stringlist'] },
  mailboxexists: { ext: ['mailbox'], tags: {}, positional: ['stringlist'] },
  hasflag: { ext: ['imap4flags'], tags: MATCHING, positional: ['stringlist', 'stringlist'], optionalLeading: 1 },
  string: { ext: ['variables'], tags: MATCHING, positional: ['stringlist', 'stringlist'] },
  spamtest: { ext: ['spamtest', 'spamtestplus'], tags: { ...MATCHING, percent: { ext: ['spamtestplus'] } }, positional: ['string'] },
  virustest: { ext: ['virustest'], tags: MATCHING, positional: ['string'] },
};

/** Arguments of one command or test, split by the signature: tags by name, positionals in order. */
export interface SplitArgs {
  tags: Map<string, TagArg & { arg?: StringArg | StringListArg | NumberArg }>;
  positional: Array<StringArg | StringListArg | NumberArg>;
}

/** Splits args by signature; assumes the node was validated (validate.ts reports the errors). */
export function splitArgs(args: Arg[], sig: Signature): SplitArgs {
  const tags: SplitArgs['tags'] = new Map();
  const positional: SplitArgs['positional'] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.kind === 'tag') {
      const spec = sig.tags[a.name];
      if (spec?.arg) {
        const next = args[i + 1];
        if (next && next.kind !== 'tag') { tags.set(a.name, { ...a, arg: next }); i++; continue; }
      }
      tags.set(a.name, a);
    } else positional.push(a);
  }
  return { tags, positional };
}

/** Values of a string or string-list argument. */
export function strings(a: Arg | undefined): StringArg[] {
  if (!a) return [];
  if (a.kind === 'string') return [a];
  if (a.kind === 'stringlist') return a.values;
  return [];
}
