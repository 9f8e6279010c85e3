/** dovecot-uidlist "P" fields as POP3 UIDLs (what Dovecot's pop3 sends for migrated mail). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPop3Uidls } from './pop3-uidl.js';

test('P fields map UID to UIDL; other entries and files without P give nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pop3-uidl-'));
  try {
    const p = join(dir, 'dovecot-uidlist');
    assert.equal((await readPop3Uidls(p)).size, 0, 'missing file');
    await writeFile(p, '3 V1700000000 N4 G0123\n1 W100 :1.M1P2Q3.h,S=99\n2 PUID-abc.1 W200 :2.M1P2Q3.h\n3 GXYZ Pold:9 :3.M1P2Q3.h\n');
    assert.deepEqual([...await readPop3Uidls(p)], [[2, 'UID-abc.1'], [3, 'old:9']]);
    await writeFile(p, '3 V1700000000 N3\n1 W100 :1.M1P2Q3.h,S=99\n2 :2.M1P9Q3.h\n');
    assert.equal((await readPop3Uidls(p)).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
