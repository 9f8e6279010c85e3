/** The command table: which commands exist, in which RFC 1939 state each is valid, and its handler. */
import type { Pop3Command } from '../../../pop3-codec/src/types.js';
import type { Pop3Session, Pop3State } from '../session.js';
import { apop, auth, pass, stls, user } from './auth.js';
import { capa } from './capa.js';
import { dele, list, noop, rset, stat, uidl } from './transaction.js';
import { retr, top } from './retrieve.js';
import { quit } from './quit.js';
import { xclient } from './xclient.js';

/** A handler writes its own reply; it returns true for +OK (false for -ERR) for metrics and the bad-command count. */
export type Handler = (s: Pop3Session, cmd: Pop3Command) => Promise<boolean>;

export interface CommandDef {
  states: readonly Pop3State[];
  handler: Handler;
}

const AUTHZ: readonly Pop3State[] = ['authorization'];
const TRANS: readonly Pop3State[] = ['transaction'];

export const COMMANDS: Record<string, CommandDef> = {
  CAPA: { states: ['authorization', 'transaction'], handler: capa },
  QUIT: { states: ['authorization', 'transaction'], handler: quit },
  USER: { states: AUTHZ, handler: user },
  PASS: { states: AUTHZ, handler: pass },
  APOP: { states: AUTHZ, handler: apop },
  AUTH: { states: AUTHZ, handler: auth },
  STLS: { states: AUTHZ, handler: stls },
  XCLIENT: { states: AUTHZ, handler: xclient },
  STAT: { states: TRANS, handler: stat },
  LIST: { states: TRANS, handler: list },
  UIDL: { states: TRANS, handler: uidl },
  RETR: { states: TRANS, handler: retr },
  TOP: { states: TRANS, handler: top },
  DELE: { states: TRANS, handler: dele },
  RSET: { states: TRANS, handler: rset },
  NOOP: { states: TRANS, handler: noop },
};
