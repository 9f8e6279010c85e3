export type { Command, CommandError, Path, ReceiverEvent } from './types.js';
export { parseCommand } from './parse-command.js';
export { LmtpReceiver, type ReceiverOptions } from './receiver.js';
export { formatReply, reply, type Reply } from './reply.js';
export { dotStuff } from './dot-stuff.js';
