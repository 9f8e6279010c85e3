/**
 * The session registry: every authenticated session on every node (proxies and backends), so `who`
 * and `kick` work cluster-wide and the per-user-and-IP connection limit (Dovecot's
 * mail_max_userip_connections) holds across nodes. Two implementations behind this interface:
 * in-process (embedded default, one node) and Redis (cluster). One contract suite tests both
 * (contract.ts).
 */
export type ServiceName = 'imap' | 'pop3' | 'sieve' | 'lmtp' | 'submission';

export interface SessionInfo {
  /** Connection id, unique cluster-wide (node + counter + random). */
  readonly id: string;
  readonly node: string;
  readonly service: ServiceName;
  readonly user: string;
  readonly ip: string;
  readonly port?: number;
  /** Unix ms. */
  readonly start: number;
  /** true when this session is a proxy's relay (the backend registers the same user too). */
  readonly proxy?: boolean;
  /** The process serving it, when the node runs worker processes (node.workers > 1). */
  readonly pid?: number;
}

export interface SessionFilter {
  /** Wildcards `*` and `?` (doveadm user masks); case-insensitive. */
  readonly userMask?: string;
  /** Exact IP, or a CIDR such as 127.0.0.0/8. */
  readonly ip?: string;
  readonly service?: ServiceName;
}

export interface RegisterRequest {
  readonly service: ServiceName;
  readonly user: string;
  readonly ip: string;
  readonly port?: number;
  readonly proxy?: boolean;
  /** The worker process serving the session (IpcRegistry sets it). */
  readonly pid?: number;
  /** Per (service, user, ip) limit; 0 = unlimited. Checked and taken atomically cluster-wide. */
  readonly maxUserIp: number;
  /**
   * Called when an admin kicks this session (on whichever node it lives): a function, or an object whose
   * kick() is called (a proxy holds tens of thousands of sessions: no closure per session, issue 6).
   */
  readonly onKick: KickHandler;
}

export type KickHandler = ((reason: string) => void) | { kick(reason: string): void };

export interface Registration {
  readonly info: SessionInfo;
  /** Removes the session; idempotent. */
  unregister(): Promise<void>;
}

export type RegisterResult =
  | { readonly ok: true; readonly registration: Registration }
  | { readonly ok: false; readonly reason: 'userip-limit'; readonly current: number };

export interface KickResult {
  /** Sessions closed, summed over the nodes that answered. */
  readonly kicked: number;
  /** Nodes that answered / were asked. */
  readonly nodesAnswered: number;
  readonly nodesAsked: number;
}

export interface SessionRegistry {
  readonly node: string;
  register(req: RegisterRequest): Promise<RegisterResult>;
  /** All live sessions of the cluster matching the filter. */
  list(filter?: SessionFilter): Promise<SessionInfo[]>;
  /** Closes matching sessions on every node and reports how many. */
  kick(filter: SessionFilter, reason?: string): Promise<KickResult>;
  /** Local sessions of this node (for metrics and shutdown). */
  localCount(): number;
  close(): Promise<void>;
}
