/**
 * The quota warning mail, as UCS's quota-warning script writes it: the configured subject, and the
 * threshold's text with $PERCENT replaced (mail/dovecot/quota/warning/subject, .../text/<percent>).
 * UCS runs the script as `quota-warning <threshold> %u`, so $PERCENT is the threshold ("over 80%").
 */
import { randomBytes } from 'node:crypto';

export interface WarningTexts {
  subject: string;
  /** Text per threshold percent. */
  texts: Readonly<Record<number, string>>;
  /** From address; null = postmaster@<the user's domain>. */
  from: string | null;
}

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function headerValue(s: string): string {
  const clean = s.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

export function warningMessage(cfg: WarningTexts, user: string, threshold: number, now = new Date()): Buffer {
  const domain = user.includes('@') ? user.slice(user.lastIndexOf('@') + 1) : 'localhost';
  const from = cfg.from ?? `postmaster@${domain}`;
  const text = (cfg.texts[threshold] ?? '').replace(/\$PERCENT/g, String(threshold));
  const body = Buffer.from(`${text.replace(/\r?\n/g, '\r\n')}\r\n`, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = [
    `From: ${from}`,
    `To: ${user}`,
    `Subject: ${headerValue(cfg.subject)}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <quota-warning.${randomBytes(8).toString('hex')}@${domain}>`,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}\r\n`, 'utf8');
}
