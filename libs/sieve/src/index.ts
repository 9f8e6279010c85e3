/**
 * Public API of the pure Sieve lib (RFC 5228 and extensions). parseScript() validates a script
 * (ManageSieve PUTSCRIPT/CHECKSCRIPT, LMTP before running); evaluate() runs it against one
 * message and returns the actions for the LMTP server to carry out.
 */
export type {
  Arg, StringArg, StringListArg, NumberArg, TagArg, TestNode, CommandNode, Script, Pos,
  ParseError, ParseResult, ParseOptions, BodyRequest, SieveMessage, SieveEnvelope, SpamScores, SieveContext,
  IncludeLocation, IncludeResolver, EvaluateOptions, SieveLimits,
  KeepAction, FileIntoAction, RedirectAction, RejectAction, DiscardAction, VacationAction, SieveAction,
  HeaderEdits, SieveRuntimeError, SieveResult,
} from './types.js';
export { parseScript } from './parser.js';
export { supportedExtensions, SUPPORTED_EXTENSIONS } from './extensions.js';
export { evaluate } from './interpreter.js';
export { bufferMessage, bodyTexts } from './message.js';
