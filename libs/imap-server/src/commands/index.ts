/**
 * The command table: for each command, the states it is valid in (RFC 3501 §6), whether a UID
 * form exists (§6.4.8) and its handler. Handlers write untagged responses themselves and return
 * the tagged reply (default: OK "<name> completed").
 */
import type { Command, CommandName } from '../../../imap-codec/src/types.js';
import type { Session, SessionState } from '../session.js';
import { capability, noop, logout, id, enable, namespace, check } from './basic.js';
import { starttls } from './starttls.js';
import { login, authenticate } from './auth.js';
import { select, close, unselect, expunge } from './select.js';
import { create, del, rename, subscribe, unsubscribe, status } from './mailboxes.js';
import { list, lsub } from './list.js';
import { search } from './search.js';
import { fetch } from './fetch.js';
import { store, copyMove } from './store.js';
import { idle } from './idle.js';
import { getQuota, getQuotaRoot, setQuota } from './quota.js';

export interface Reply {
  status: 'OK' | 'NO' | 'BAD';
  code?: string;
  text: string;
  /** Do not sync the selected mailbox before the tagged reply (the handler already did). */
  skipSync?: boolean;
  /** Untagged BYE sent before the tagged reply (LOGOUT). */
  bye?: string;
  /** Runs after the tagged reply was queued (STARTTLS handshake). */
  after?: () => Promise<void>;
  /** IDLE hibernated (hibernate.ts): no tagged reply now, the loop unwinds; the woken IDLE replies. */
  hibernated?: boolean;
}

/** The command variant(s) whose name includes N (some variants share a shape, e.g. DELETE/SUBSCRIBE). */
export type CmdOf<N extends CommandName> = Command extends infer C
  ? C extends { name: infer M } ? ([Extract<M, N>] extends [never] ? never : C) : never
  : never;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (s: Session, cmd: any) => Promise<Reply | void>;

export interface CommandDef {
  states: readonly SessionState[];
  uid: boolean;
  handler: Handler;
}

const ANY: readonly SessionState[] = ['notauth', 'auth', 'selected'];
const PRE: readonly SessionState[] = ['notauth'];
const AUTH: readonly SessionState[] = ['auth', 'selected'];
const SEL: readonly SessionState[] = ['selected'];

export const COMMANDS: Partial<Record<CommandName, CommandDef>> = {
  CAPABILITY: { states: ANY, uid: false, handler: capability },
  NOOP: { states: ANY, uid: false, handler: noop },
  LOGOUT: { states: ANY, uid: false, handler: logout },
  ID: { states: ANY, uid: false, handler: id },
  STARTTLS: { states: PRE, uid: false, handler: starttls },
  LOGIN: { states: PRE, uid: false, handler: login },
  AUTHENTICATE: { states: PRE, uid: false, handler: authenticate },
  ENABLE: { states: AUTH, uid: false, handler: enable },
  NAMESPACE: { states: AUTH, uid: false, handler: namespace },
  SELECT: { states: AUTH, uid: false, handler: select },
  EXAMINE: { states: AUTH, uid: false, handler: select },
  CREATE: { states: AUTH, uid: false, handler: create },
  DELETE: { states: AUTH, uid: false, handler: del },
  RENAME: { states: AUTH, uid: false, handler: rename },
  SUBSCRIBE: { states: AUTH, uid: false, handler: subscribe },
  UNSUBSCRIBE: { states: AUTH, uid: false, handler: unsubscribe },
  LIST: { states: AUTH, uid: false, handler: list },
  LSUB: { states: AUTH, uid: false, handler: lsub },
  STATUS: { states: AUTH, uid: false, handler: status },
  IDLE: { states: AUTH, uid: false, handler: idle },
  GETQUOTA: { states: AUTH, uid: false, handler: getQuota },
  GETQUOTAROOT: { states: AUTH, uid: false, handler: getQuotaRoot },
  SETQUOTA: { states: AUTH, uid: false, handler: setQuota },
  CHECK: { states: SEL, uid: false, handler: check },
  CLOSE: { states: SEL, uid: false, handler: close },
  UNSELECT: { states: SEL, uid: false, handler: unselect },
  EXPUNGE: { states: SEL, uid: true, handler: expunge },
  SEARCH: { states: SEL, uid: true, handler: search },
  FETCH: { states: SEL, uid: true, handler: fetch },
  STORE: { states: SEL, uid: true, handler: store },
  COPY: { states: SEL, uid: true, handler: copyMove },
  MOVE: { states: SEL, uid: true, handler: copyMove },
};
