/** STARTTLS (RFC 3501 §6.2.1). */
import type { Session } from '../session.js';
import type { Reply } from './index.js';

export async function starttls(s: Session): Promise<Reply> {
  const ctx = s.host.tls();
  if (!ctx) return { status: 'BAD', text: 'TLS support isn\'t enabled.' };
  if (s.secure) return { status: 'BAD', text: 'TLS is already active.' };
  return {
    status: 'OK', text: 'Begin TLS negotiation now.', skipSync: true,
    after: async () => {
      try {
        await s.startTls(ctx);
      } catch (err) {
        s.log.info({ err }, 'STARTTLS handshake failed');
        s.state = 'logout';
        s.socket.destroy();
      }
    },
  };
}
