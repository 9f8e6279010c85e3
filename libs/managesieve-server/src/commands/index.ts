/** Command table: which command runs in which state, and the handling of receiver events. */
import type { Arg, ReceiverEvent } from '../../../managesieve-codec/src/types.js';
import type { Session, State } from '../session.js';
import { authenticate, unauthenticate } from './auth.js';
import { capability, logout, noop, sendCapabilities, starttls } from './basic.js';
import { xclient } from './xclient.js';
import { checkScript, deleteScript, getScript, haveSpace, listScripts, putScript, renameScript, setActive } from './scripts.js';

export type Handler = (s: Session, args: readonly Arg[]) => Promise<void>;

interface Entry { states: readonly State[]; handler: Handler; minArgs: number; maxArgs: number }

const ANY: readonly State[] = ['notauth', 'auth'];
const AUTH: readonly State[] = ['auth'];

const COMMANDS: Record<string, Entry> = {
  CAPABILITY: { states: ANY, handler: capability, minArgs: 0, maxArgs: 0 },
  LOGOUT: { states: ANY, handler: logout, minArgs: 0, maxArgs: 0 },
  NOOP: { states: ANY, handler: noop, minArgs: 0, maxArgs: 1 },
  STARTTLS: { states: ['notauth'], handler: starttls, minArgs: 0, maxArgs: 0 },
  AUTHENTICATE: { states: ['notauth'], handler: authenticate, minArgs: 1, maxArgs: 2 },
  XCLIENT: { states: ['notauth'], handler: xclient, minArgs: 0, maxArgs: Infinity },
  UNAUTHENTICATE: { states: AUTH, handler: unauthenticate, minArgs: 0, maxArgs: 0 },
  LISTSCRIPTS: { states: AUTH, handler: listScripts, minArgs: 0, maxArgs: 0 },
  GETSCRIPT: { states: AUTH, handler: getScript, minArgs: 1, maxArgs: 1 },
  PUTSCRIPT: { states: AUTH, handler: putScript, minArgs: 2, maxArgs: 2 },
  CHECKSCRIPT: { states: AUTH, handler: checkScript, minArgs: 1, maxArgs: 1 },
  SETACTIVE: { states: AUTH, handler: setActive, minArgs: 1, maxArgs: 1 },
  DELETESCRIPT: { states: AUTH, handler: deleteScript, minArgs: 1, maxArgs: 1 },
  RENAMESCRIPT: { states: AUTH, handler: renameScript, minArgs: 2, maxArgs: 2 },
  HAVESPACE: { states: AUTH, handler: haveSpace, minArgs: 2, maxArgs: 2 },
};

/** Argument types per command (RFC 5804 §4): HAVESPACE takes a number second, everything else strings. */
function argsOk(name: string, args: readonly Arg[]): boolean {
  if (name === 'XCLIENT') return true; // atoms, checked by its handler (commands/xclient.ts)
  return args.every((a, i) => (name === 'HAVESPACE' && i === 1 ? a.type === 'number' : a.type === 'string'));
}

export const dispatch = {
  async greeting(s: Session): Promise<void> {
    // RFC 5804 §1.7: the server greets with its capabilities and OK.
    sendCapabilities(s);
    s.respond({ status: 'OK', text: 'Dovecot-compatible ManageSieve ready.' });
  },

  async event(s: Session, ev: ReceiverEvent): Promise<void> {
    switch (ev.type) {
      case 'command': return command(s, ev.name, ev.args);
      case 'tooBig':
        s.badCommands++;
        if (ev.name === 'PUTSCRIPT' || ev.name === 'CHECKSCRIPT') return s.respond({ status: 'NO', code: 'QUOTA/MAXSIZE', text: 'Script is too large.' });
        return s.respond({ status: 'NO', text: 'Argument too large.' });
      case 'lineTooLong':
        s.badCommands++;
        return s.respond({ status: 'NO', text: 'Command line too long.' });
      case 'bad':
        s.badCommands++;
        return s.respond({ status: 'NO', text: `Error in command: ${ev.message}.` });
      case 'continuation': case 'cancel':
        s.badCommands++;
        return s.respond({ status: 'NO', text: 'Unexpected continuation.' });
    }
  },
};

async function command(s: Session, name: string, args: readonly Arg[]): Promise<void> {
  const e = COMMANDS[name];
  if (!e) {
    s.badCommands++;
    return s.respond({ status: 'NO', text: 'Unknown command.' });
  }
  if (!e.states.includes(s.state)) {
    s.badCommands++;
    return s.respond({ status: 'NO', text: s.state === 'notauth' ? 'Authenticate first.' : 'Already authenticated.' });
  }
  if (args.length < e.minArgs || args.length > e.maxArgs || !argsOk(name, args)) {
    s.badCommands++;
    return s.respond({ status: 'NO', text: `Wrong arguments for ${name}.` });
  }
  s.badCommands = 0;
  await e.handler(s, args);
}

/** The string value of argument i (types already checked). */
export function str(args: readonly Arg[], i: number): string {
  const a = args[i];
  return a && a.type === 'string' ? a.value : '';
}
