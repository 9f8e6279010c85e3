export * from './types.js';
export { Pop3Receiver, parseCommandLine, type ReceiverOptions } from './receiver.js';
export { MessageOutput, type MessageOutputOptions } from './message-output.js';
export * from './responses.js';
export * from './uidl.js';
