export type { Arg, ReceiverEvent, ReceiverOptions, Response, ResponseCode } from './types.js';
export { ManageSieveReceiver } from './receiver.js';
export { encodeString, encodeResponse, encodeCapability } from './response.js';
