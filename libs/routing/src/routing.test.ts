import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placeUser } from './rendezvous.js';
import { CircuitBreaker } from './breaker.js';

describe('rendezvous placement (director replacement)', () => {
  const users = Array.from({ length: 3000 }, (_, i) => `user${i}@example.org`);
  it('is stable and case-insensitive for an unchanged backend set, and spreads users evenly', () => {
    const bs = ['b1', 'b2', 'b3'];
    const counts = new Map<string, number>();
    for (const u of users) {
      const b = placeUser(u, bs)!;
      assert.equal(placeUser(u.toUpperCase(), [...bs].reverse()), b, 'order of backends and case do not matter');
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    for (const b of bs) assert.ok(Math.abs(counts.get(b)! - 1000) < 150, `${b}: ${counts.get(b)}`);
  });
  it('a backend leaving moves only its users; one joining takes about 1/n', () => {
    const before = users.map((u) => placeUser(u, ['b1', 'b2', 'b3']));
    const after = users.map((u) => placeUser(u, ['b1', 'b3']));
    users.forEach((_, i) => { if (before[i] !== 'b2') assert.equal(after[i], before[i]); });
    const grown = users.map((u) => placeUser(u, ['b1', 'b2', 'b3', 'b4']));
    const moved = users.filter((_, i) => grown[i] !== before[i]).length;
    assert.ok(grown.every((g, i) => g === before[i] || g === 'b4'), 'users move only to the new backend');
    assert.ok(moved > 600 && moved < 900, `moved ${moved} of 3000 (expected ~750)`);
  });
  it('no backends: null', () => assert.equal(placeUser('a', []), null));
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, lets one probe through after the cool-down, closes on success', () => {
    let t = 0;
    const states: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000, now: () => t, onChange: (s) => states.push(s) });
    b.failure(); b.failure(); b.success(); b.failure(); b.failure();
    assert.equal(b.state, 'closed', 'a success in between resets the count');
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.allow(), false);
    t = 999; assert.equal(b.allow(), false);
    t = 1000; assert.equal(b.allow(), true, 'one probe');
    assert.equal(b.allow(), false, 'only one probe at a time');
    b.failure();
    assert.equal(b.state, 'open', 'a failed probe reopens');
    t = 2000; assert.equal(b.allow(), true);
    b.success();
    assert.equal(b.state, 'closed');
    assert.deepEqual(states, ['open', 'half-open', 'open', 'half-open', 'closed']);
  });
});
