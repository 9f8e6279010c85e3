/**
 * The admin API (doveadm's verbs over HTTP+JSON). Each node serves the operations it can answer;
 * an operation a node lacks answers 501. `mailctl` (services/mailctl) is its client.
 */
import type { KickResult, SessionFilter, SessionInfo } from '../../registry/src/types.js';

export interface QuotaLine {
  user: string;
  quotaName: string;        // "User quota" as doveadm prints it
  type: 'STORAGE' | 'MESSAGE';
  value: number;            // STORAGE in KiB, MESSAGE in messages (doveadm quota get)
  limit: number | null;     // null = unlimited
  percent: number;
}

export interface UserLookup {
  user: string;
  aliases: string[];
  homeServer: string | null;
  backend: string | null;   // the backend address this node would route to
  quotaBytes: number | null;
  forwards: string[];
  groups: string[];
  disabled: boolean;
}

export interface BackendHealth { name: string; address: string; state: string; }

export interface AdminOps {
  reload?(): Promise<{ nodes: number; errors: string[] }>;
  who?(filter: SessionFilter): Promise<SessionInfo[]>;
  kick?(filter: SessionFilter): Promise<KickResult>;
  quotaGet?(user: string | null): Promise<QuotaLine[]>;
  authCacheFlush?(users: string[]): Promise<{ flushed: number | 'all' }>;
  authTest?(user: string, password: string): Promise<{ ok: boolean; user?: string; error?: string }>;
  userLookup?(user: string): Promise<UserLookup | null>;
  logTest?(): Promise<{ levels: string[] }>;
  logFind?(): Promise<{ destination: string; path: string | null }[]>;
  backends?(): Promise<BackendHealth[]>;
}
