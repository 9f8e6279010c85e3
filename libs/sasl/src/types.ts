/**
 * Server-side SASL mechanisms as small pure state machines (no I/O): the protocol layer
 * (IMAP AUTHENTICATE, POP3 AUTH, ManageSieve AUTHENTICATE) feeds decoded client responses in and
 * sends challenges out, base64-encoding them itself.
 */
export type SaslStep =
  | { kind: 'challenge'; challenge: Buffer }
  | { kind: 'done'; authcid: string; password: string; authzid: string | null }
  | { kind: 'error'; reason: string };

export interface SaslMechanism {
  readonly name: string;
  /**
   * One step. `clientResponse` is the decoded client data; null when the client sent no initial
   * response (the first step then asks for it with an empty challenge).
   */
  step(clientResponse: Buffer | null): SaslStep;
}

export interface SaslOptions {
  /**
   * Decides whether `authcid` may act as `authzid` (master users). Absent: only authzid equal
   * to authcid (or empty) is accepted (RFC 4616 §2: the server must verify the authorization).
   */
  allowAuthzid?: (authcid: string, authzid: string) => boolean;
}
