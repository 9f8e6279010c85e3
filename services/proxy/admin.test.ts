// Pure parts of the proxy's admin API: the worst breaker state over processes, and the route user lookup names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakerStates, routeOf } from './admin.js';
import type { MailConfig } from '../../libs/config/src/schema.js';

const gauge = (values: Array<[string, string, number]>) => [{ name: 'mail_proxy_backend_breaker_state', values: values.map(([protocol, backend, value]) => ({ labels: { protocol, backend }, value })) }];

test('breakerStates: the worst state of a backend over all login processes counts', () => {
  const w = breakerStates([gauge([['imap', 'site-a', 0], ['imap', 'site-b', 2]]), gauge([['imap', 'site-a', 1], ['imap', 'site-b', 0]]), [{ name: 'other' }]]);
  assert.equal(w.get('imap site-a'), 1);
  assert.equal(w.get('imap site-b'), 2);
  assert.equal(w.size, 2);
});

test('routeOf: home server (case-insensitive) names its backend; unknown home server null; no home server is placed on one of them', () => {
  const c = { proxy: { backends: { 'Site-A.test': '127.0.0.1:1', 'site-b.test': '127.0.0.1:2' } } } as unknown as MailConfig;
  assert.equal(routeOf(c, 'a@example.org', 'site-a.TEST'), '127.0.0.1:1');
  assert.equal(routeOf(c, 'a@example.org', 'elsewhere.test'), null);
  const placed = routeOf(c, 'carol@example.org', null);
  assert.ok(placed === '127.0.0.1:1' || placed === '127.0.0.1:2');
  assert.equal(routeOf(c, 'carol@example.org', null), placed, 'stable');
});
