/**
 * Reply formatting (RFC 5321 §4.2): "code-text" continuation lines and a final "code text",
 * with the RFC 3463 enhanced status code in front of each line (RFC 2034 §3). Pure.
 */
export interface Reply {
  readonly code: number;
  /** RFC 3463 "class.subject.detail", or null for replies that carry none (220 greeting, 354). */
  readonly enhanced: string | null;
  readonly lines: readonly string[];
}

export const reply = (code: number, enhanced: string | null, ...lines: string[]): Reply => ({ code, enhanced, lines: lines.length ? lines : [''] });

export function formatReply(r: Reply): string {
  const out: string[] = [];
  r.lines.forEach((line, i) => {
    // A CR or LF inside a text would end the reply early and desynchronise the client.
    const text = line.replace(/[\r\n]+/g, ' ');
    const sep = i === r.lines.length - 1 ? ' ' : '-';
    out.push(`${r.code}${sep}${r.enhanced ? `${r.enhanced} ` : ''}${text}`.trimEnd() + '\r\n');
  });
  return out.join('');
}
