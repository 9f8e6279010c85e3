/** The sending side of RFC 5321 §4.5.2, for tests and the benchmark client: adds the leading dots and the end marker. Pure. */
export function dotStuff(message: Buffer): Buffer {
  const s = message.toString('latin1').replace(/\r?\n/g, '\r\n');
  const body = s.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(body + (body.endsWith('\r\n') || body === '' ? '' : '\r\n') + '.\r\n', 'latin1');
}
