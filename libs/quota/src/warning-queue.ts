/**
 * Where quota warning jobs run: a bullmq queue in Redis when configured (a worker on any node
 * delivers it; retried with backoff), else an in-process queue with the same job function. Either
 * way add() returns at once, so a slow or failing warning never delays the delivery that caused it.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';

export interface WarningJob { user: string; threshold: number; percent: number }
export type WarningJobFn = (job: WarningJob) => Promise<void>;

export interface WarningQueue {
  add(job: WarningJob): Promise<void>;
  /** Resolves when no job is waiting or running (in-process) — for tests and graceful stop. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const QUEUE_NAME = 'quota-warnings';
const ATTEMPTS = 5;

/** Runs jobs one after another in this process; failures are retried a few times, then logged. */
export class InProcessWarningQueue implements WarningQueue {
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly fn: WarningJobFn, private readonly log: Logger, private readonly retryDelayMs = 1000) {}

  async add(job: WarningJob): Promise<void> {
    if (this.closed) return;
    this.chain = this.chain.then(() => this.runWithRetry(job));
  }

  private async runWithRetry(job: WarningJob): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await this.fn(job);
        return;
      } catch (err) {
        this.log.warn({ err, user: job.user, threshold: job.threshold, attempt }, 'quota warning delivery failed');
        if (attempt === ATTEMPTS || this.closed) return;
        await new Promise((r) => setTimeout(r, this.retryDelayMs * attempt));
      }
    }
  }

  async idle(): Promise<void> {
    for (;;) {
      const c = this.chain;
      await c;
      if (c === this.chain) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}

export interface BullmqOptions {
  connection: ConnectionOptions;
  /** Key prefix in Redis (bullmq `prefix`), so tests and clusters can share a Redis. */
  prefix: string;
  /** Run a worker in this process (every mail node does; an admin tool would not). */
  worker: boolean;
}

export class BullmqWarningQueue implements WarningQueue {
  private readonly queue: Queue;
  private readonly worker: Worker | null;
  private running = 0;

  constructor(fn: WarningJobFn, private readonly log: Logger, opts: BullmqOptions) {
    this.queue = new Queue(QUEUE_NAME, { connection: opts.connection, prefix: opts.prefix });
    this.worker = opts.worker
      ? new Worker(QUEUE_NAME, async (job) => {
        this.running++;
        try { await fn(job.data as WarningJob); } finally { this.running--; }
      }, { connection: opts.connection, prefix: opts.prefix, concurrency: 4 })
      : null;
    this.worker?.on('failed', (job, err) => log.warn({ err, user: (job?.data as WarningJob | undefined)?.user }, 'quota warning job failed'));
    this.queue.on('error', (err) => log.warn({ err }, 'quota warning queue error'));
    this.worker?.on('error', (err) => log.warn({ err }, 'quota warning worker error'));
  }

  async add(job: WarningJob): Promise<void> {
    try {
      await this.queue.add('warn', job, { attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 });
    } catch (err) {
      // Redis down: the warning is lost, the delivery is not. Log it.
      this.log.warn({ err, user: job.user }, 'could not queue quota warning');
    }
  }

  async idle(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(c).every((n) => n === 0) && this.running === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** For tests: remove the queue's keys. */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
