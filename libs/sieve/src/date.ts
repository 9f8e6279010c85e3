/**
 * Date parts for the `date` and `currentdate` tests (RFC 5260 §4): an instant seen in a zone
 * (minutes east of UTC) rendered as the part the script asks for.
 */
export const DATE_PARTS = new Set([
  'year', 'month', 'day', 'date', 'julian', 'hour', 'minute', 'second', 'time', 'iso8601', 'std11', 'zone', 'weekday',
]);

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const p2 = (n: number) => String(n).padStart(2, '0');
const p4 = (n: number) => String(n).padStart(4, '0');

/** "+hhmm" / "-hhmm" → minutes east of UTC; null if malformed. */
export function parseZone(z: string): number | null {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(z);
  if (!m) return null;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

function zoneText(off: number): string {
  const a = Math.abs(off);
  return (off < 0 ? '-' : '+') + p2(Math.floor(a / 60)) + p2(a % 60);
}

/** The named part of instant `ms` seen in zone `off`; null for an unknown part. */
export function datePart(ms: number, off: number, part: string): string | null {
  const d = new Date(ms + off * 60_000); // read with getUTC* = wall clock in that zone
  const Y = d.getUTCFullYear(), M = d.getUTCMonth() + 1, D = d.getUTCDate();
  const h = d.getUTCHours(), mi = d.getUTCMinutes(), s = d.getUTCSeconds();
  switch (part) {
    case 'year': return p4(Y);
    case 'month': return p2(M);
    case 'day': return p2(D);
    case 'date': return `${p4(Y)}-${p2(M)}-${p2(D)}`;
    // RFC 5260 §4.2: days since 1858-11-17 (Modified Julian Day).
    case 'julian': return String(Math.floor((Date.UTC(Y, M - 1, D) - Date.UTC(1858, 10, 17)) / 86_400_000));
    case 'hour': return p2(h);
    case 'minute': return p2(mi);
    case 'second': return p2(s);
    case 'time': return `${p2(h)}:${p2(mi)}:${p2(s)}`;
    case 'iso8601': {
      const z = off === 0 ? 'Z' : zoneText(off).slice(0, 3) + ':' + zoneText(off).slice(3);
      return `${p4(Y)}-${p2(M)}-${p2(D)}T${p2(h)}:${p2(mi)}:${p2(s)}${z}`;
    }
    case 'std11': return `${DAYS[d.getUTCDay()]}, ${D} ${MONTHS[M - 1]} ${p4(Y)} ${p2(h)}:${p2(mi)}:${p2(s)} ${zoneText(off)}`;
    case 'zone': return zoneText(off);
    case 'weekday': return String(d.getUTCDay());
    default: return null;
  }
}
