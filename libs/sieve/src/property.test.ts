// Property tests: random and mutated scripts never make the parser or the interpreter throw;
// they give a parse error result or run to a result. The :matches engine agrees with a reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseScript, evaluate } from './index.js';
import { globMatch } from './match.js';
import { compilePosix, execPosix } from './regex.js';
import { context, MSG, MULTIPART } from './testing.js';

const CORPUS = [
  'require ["fileinto","variables","imap4flags"];\nif header :matches "Subject" "[*] *" { set "a" "${1}"; addflag "\\\\Seen"; fileinto "lists.${a}"; }',
  'require ["vacation","relational","comparator-i;ascii-numeric"];\nif header :count "ge" :comparator "i;ascii-numeric" "received" "1" { vacation :days 3 :subject "x" text:\nAway\n.\n; }',
  'require ["body","date","index","regex","editheader","mailbox","fileinto"];\nif body :text :contains "release" { addheader "X-A" "b"; }\nelsif date :index 1 :is "received" "year" "2026" { fileinto :create "Y"; }\nelse { deleteheader :regex "subject" "^\\\\[.*"; }',
  'require ["envelope","subaddress","copy","reject","spamtest","relational","comparator-i;ascii-numeric","encoded-character"];\nif anyof (envelope :detail "to" "x", spamtest :value "ge" :comparator "i;ascii-numeric" "5", not true) { redirect :copy "a@b.c"; } else { reject "${hex:41}"; }',
  'require ["include","variables"]; global "g"; set "g" "1"; include :optional :once "helper"; return;',
];

const TOKENS = ['require', 'if', 'elsif', 'else', 'keep', 'discard', 'stop', 'fileinto', 'redirect', 'header', 'address', 'envelope',
  'allof', 'anyof', 'not', 'true', 'false', 'size', 'exists', 'set', 'vacation', 'body', 'date', 'currentdate', 'string', 'include',
  ':is', ':contains', ':matches', ':regex', ':count', ':value', ':over', ':under', ':comparator', ':index', ':last', ':flags', ':copy',
  '"fileinto"', '"variables"', '"relational"', '"i;ascii-numeric"', '"subject"', '"*"', '"${1}"', '"a@b.c"', '"ge"', '"year"',
  '[', ']', '(', ')', ',', ';', '{', '}', '1', '10K', 'text:\nx\n.\n', '#c\n', '/* c */'];

async function neverThrows(src: string): Promise<void> {
  const r = parseScript(src);
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) {
    assert.ok(r.error.line >= 1 && r.error.column >= 1 && r.error.message.length > 0);
    return;
  }
  const res = await evaluate(r.script, context(MSG), { includeResolver: (n) => (n === 'helper' ? 'keep;' : null) });
  assert.equal(typeof res.ok, 'boolean');
  if (!res.ok) assert.equal(res.implicitKeep, true);
}

test('random text never throws from parseScript', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
    const r = parseScript(s);
    assert.equal(typeof r.ok, 'boolean');
  }), { numRuns: 3000 });
});

test('random token soup parses or fails cleanly, and runs when it parses', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), async (toks) => {
    await neverThrows(toks.join(' '));
  }), { numRuns: 3000 });
});

test('mutated valid scripts never throw (parse or run)', async () => {
  const mutation = fc.record({
    base: fc.constantFrom(...CORPUS),
    edits: fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 5 }), ins: fc.string({ maxLength: 4 }) }), { maxLength: 4 }),
  });
  await fc.assert(fc.asyncProperty(mutation, async ({ base, edits }) => {
    let s = base;
    for (const e of edits) { const at = e.at % (s.length + 1); s = s.slice(0, at) + e.ins + s.slice(at + e.del); }
    await neverThrows(s);
  }), { numRuns: 2000 });
});

test('every corpus script parses and runs on both messages', async () => {
  for (const s of CORPUS) {
    const r = parseScript(s);
    assert.ok(r.ok, r.ok ? '' : `${r.error.line}:${r.error.column} ${r.error.message}`);
    for (const m of [MSG, MULTIPART]) {
      const res = await evaluate(r.script, context(m), { includeResolver: () => 'keep;' });
      assert.equal(res.ok, true, JSON.stringify(res.errors));
    }
  }
});

test('random and mangled messages never make a run throw', async () => {
  const scripts = CORPUS.map((s) => parseScript(s)).flatMap((p) => (p.ok ? [p.script] : []));
  const headerLine = fc.tuple(
    fc.constantFrom('From', 'To', 'Cc', 'Subject', 'Date', 'Received', 'Content-Type', 'Content-Transfer-Encoding', 'X-Spam-Flag', 'List-Id'),
    fc.string({ unit: 'binary', maxLength: 60 }),
  ).map(([k, v]) => `${k}: ${v}`);
  const message = fc.oneof(
    fc.tuple(fc.array(headerLine, { maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 200 })).map(([h, b]) => `${h.join('\r\n')}\r\n\r\n${b}`),
    fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }), ins: fc.string({ unit: 'binary', maxLength: 10 }) })
      .map(({ at, cut, ins }) => { const k = at % MULTIPART.length; return MULTIPART.slice(0, k) + ins + MULTIPART.slice(k + cut); }),
  );
  await fc.assert(fc.asyncProperty(message, fc.constantFrom(...scripts), async (m, script) => {
    const r = await evaluate(script, context(m), { includeResolver: () => 'keep;' });
    assert.equal(typeof r.ok, 'boolean');
    assert.ok(r.ok || r.implicitKeep);
  }), { numRuns: 1500 });
});

test(':regex Pike VM agrees with a backtracking engine on small patterns', () => {
  const piece = fc.constantFrom('a', 'b', '.', 'a*', 'b+', 'a?', '[ab]', '[^a]', '(a|b)', '(ab)*', '(a|ab)', 'x', '^', '$', '[[:alpha:]]', 'a{2}', 'b{1,2}');
  const pattern = fc.array(piece, { minLength: 1, maxLength: 6 }).chain((ps) => fc.boolean().map((alt) => (alt && ps.length > 1 ? `${ps.slice(0, 2).join('')}|${ps.slice(2).join('')}` : ps.join(''))));
  const subject = fc.array(fc.constantFrom('a', 'b', 'c', 'A'), { maxLength: 10 }).map((a) => a.join(''));
  fc.assert(fc.property(pattern, subject, fc.boolean(), (p, s, fold) => {
    const prog = compilePosix(p, fold);
    const js = new RegExp(p.replace(/\[\[:alpha:\]\]/g, '[a-zA-Z]'), fold ? 'is' : 's');
    assert.ok(prog, p);
    const ours = execPosix(prog, s, { n: 0 });
    const ref = js.exec(s);
    assert.equal(ours === null, ref === null, `${p} on ${s}`);
    if (ours && ref) assert.deepEqual(ours, Array.from(ref, (x) => x ?? ''), `${p} on ${s}`);
  }), { numRuns: 5000 });
});

/** Reference :matches: a regex built from the glob (slow but obviously right for match/no match). */
function refMatch(value: string, pattern: string): boolean {
  let re = '';
  const cs = Array.from(pattern);
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '\\' && i + 1 < cs.length) { re += cs[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); continue; }
    re += c === '*' ? '[^]*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u').test(value);
}

test('RFC 5228 §2.7.1 :matches agrees with a reference and captures rebuild the value', () => {
  const alpha = fc.constantFrom('a', 'b', '*', '?', '\\', 'ü');
  fc.assert(fc.property(fc.array(alpha, { maxLength: 12 }).map((a) => a.join('')), fc.array(fc.constantFrom('a', 'b', 'ü', '*'), { maxLength: 12 }).map((a) => a.join('')), (pattern, value) => {
    const caps = globMatch(value, pattern, false);
    assert.equal(caps !== null, refMatch(value, pattern), `${pattern} vs ${value}`);
    if (caps && !pattern.includes('\\')) {
      // Replacing each wildcard by its capture gives back the value.
      let k = 1;
      const rebuilt = Array.from(pattern).map((c) => (c === '*' || c === '?' ? caps[k++] : c)).join('');
      assert.equal(rebuilt, value);
    }
  }), { numRuns: 5000 });
});
