/**
 * SIGTERM / SIGINT: stop accepting, say BYE to sessions (ImapServer.close), close the rest, exit 0.
 * A second signal, or the grace period running out, exits at once with 1.
 */
import type { Logger } from 'pino';

export type Step = [name: string, run: () => Promise<void>];

export function onShutdown(logger: Logger, steps: () => Step[], graceMs = 30_000, beforeSteps?: () => void): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    beforeSteps?.();
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => { logger.error('shutdown grace period over: exiting'); process.exit(1); }, graceMs);
    timer.unref();
    void (async () => {
      for (const [name, run] of steps()) {
        try { await run(); } catch (e) { logger.error({ err: e, step: name }, 'shutdown step failed'); }
      }
      logger.info('stopped');
      logger.flush?.();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
