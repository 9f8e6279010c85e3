/** Command line of the mail node (node:util parseArgs). */
import { parseArgs } from 'node:util';

export const USAGE = `usage: mailnode [--config FILE]            run the mail node (embedded defaults without --config)
       mailnode check-config [--config FILE] validate the configuration and exit
       mailnode hash-password                print a {SHA512-CRYPT} hash of the password on stdin
       mailnode auth-cache-flush [USER...]   empty the auth cache (all users or these) on every node (needs auth.redisUrl)
Environment: MAIL_<SECTION>__<KEY>=value overrides a config key (docs/configuration.md).
`;

export type Command = 'serve' | 'check-config' | 'hash-password' | 'auth-cache-flush' | 'help';

export function parseCli(argv: string[]): { command: Command; config: string | null; users?: string[] } | { error: string } {
  try {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return { command: 'help', config: null };
    const cmd = positionals[0] ?? 'serve';
    if (cmd === 'auth-cache-flush') return { command: cmd, config: values.config ?? null, users: positionals.slice(1) };
    if (positionals.length > 1) return { error: `unexpected argument: ${positionals[1]}` };
    if (cmd !== 'serve' && cmd !== 'check-config' && cmd !== 'hash-password') return { error: `unknown command: ${cmd}` };
    return { command: cmd, config: values.config ?? null };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
