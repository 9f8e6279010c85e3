import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NetworkList, parseIp, parseNetwork } from './networks.js';

test('IPv4 networks match plain and IPv4-mapped (RFC 4291 §2.5.5.2) addresses', () => {
  const n = NetworkList.parse(['127.0.0.0/8', '10.1.2.3', '192.168.0.0/16']);
  for (const ip of ['127.0.0.1', '127.255.255.254', '::ffff:127.0.0.1', '10.1.2.3', '192.168.44.1']) assert.ok(n.contains(ip), ip);
  for (const ip of ['128.0.0.1', '10.1.2.4', '192.169.0.1', '::1', '', 'localhost', '1.2.3', '01.2.3.4']) assert.ok(!n.contains(ip), ip);
  assert.ok(!n.contains(undefined));
});

test('IPv6 networks, :: compression and zone ids', () => {
  const n = NetworkList.parse(['::1/128', 'fd00::/8', '2001:db8::/32']);
  for (const ip of ['::1', '0:0:0:0:0:0:0:1', 'fd12:3456::1', '2001:db8:ffff::1', 'fe80::1%eth0'.replace('fe80', 'fd00')]) assert.ok(n.contains(ip), ip);
  for (const ip of ['::2', 'fe80::1', '2001:db9::1', '127.0.0.1']) assert.ok(!n.contains(ip), ip);
  assert.ok(NetworkList.parse(['0.0.0.0/0']).contains('8.8.8.8'));
  assert.ok(!NetworkList.parse(['0.0.0.0/0']).contains('2001:db8::1'));
  assert.ok(NetworkList.parse(['::/0']).contains('2001:db8::1'));
});

test('invalid networks are refused with their text', () => {
  for (const bad of ['10.0.0.0/33', '1.2.3.256', '::1/129', 'a::b::c', 'example.org', '10.0.0.0/8/8', '']) {
    assert.equal(parseNetwork(bad), null, bad);
  }
  assert.throws(() => NetworkList.parse(['127.0.0.0/8', 'nope']), /nope/);
});

test('parseIp never throws on random input', () => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => { parseIp(s); parseNetwork(s); }), { numRuns: 2000 });
  fc.assert(fc.property(fc.ipV4(), (ip) => NetworkList.parse([`${ip}/32`]).contains(ip) && NetworkList.parse([ip]).contains(`::ffff:${ip}`)));
  fc.assert(fc.property(fc.ipV6(), (ip) => NetworkList.parse([ip]).contains(ip)));
});
