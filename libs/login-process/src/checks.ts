/**
 * Limits that cannot hold together, warned about at start and at reload the way Dovecot's config
 * checker does (`service auth { client_limit=2000 } is lower than required under max. load (15000)`).
 * Pure: the facts about the machine come in as arguments. docs/login-modes.md lists the checks.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { LoginMode } from './pool.js';

export interface ServiceLimits { service: string; processLimit: number; clientLimit: number }

export interface MachineFacts {
  cpus: number;
  /** Bytes of memory of the node. */
  totalMem: number;
  /** Open files one process may hold (RLIMIT_NOFILE); null = unknown. */
  fdLimit: number | null;
}

/** Memory one idle Node login process takes (RSS, measured: docs/login-modes.md). */
export const LOGIN_PROCESS_RSS = 55 * 1024 * 1024;
/** File descriptors a login process holds before any connection (Node runtime, IPC, directory, Redis). */
export const LOGIN_PROCESS_BASE_FDS = 64;
/** A proxied connection holds two descriptors: the client's and the backend's. */
export const FDS_PER_CONNECTION = 2;

const gb = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GB`;

export function checkLoginLimits(mode: LoginMode, processMinAvail: number, services: ServiceLimits[], m: MachineFacts): string[] {
  const out: string[] = [];
  const minAvail = processMinAvail || m.cpus;
  let processes = 0;
  for (const s of services) {
    if (minAvail > s.processLimit) out.push(`service(${s.service}) { process_min_avail=${minAvail} } is higher than process_limit=${s.processLimit}; only ${s.processLimit} login processes are started`);
    if (mode === 'high-performance') {
      const need = s.clientLimit * FDS_PER_CONNECTION + LOGIN_PROCESS_BASE_FDS;
      if (m.fdLimit !== null && need > m.fdLimit) {
        out.push(`service(${s.service}) { client_limit=${s.clientLimit} } needs ${need} open files per login process under max. load, more than the process limit (${m.fdLimit}); raise LimitNOFILE or lower client_limit to ${Math.floor((m.fdLimit - LOGIN_PROCESS_BASE_FDS) / FDS_PER_CONNECTION)}`);
      }
      processes += Math.min(minAvail, s.processLimit);
    } else {
      processes += s.processLimit;
    }
  }
  if (mode === 'high-security') {
    const need = processes * LOGIN_PROCESS_RSS;
    if (need > m.totalMem * 0.8) {
      out.push(`high-security login mode: ${services.map((s) => `service(${s.service}) { process_limit=${s.processLimit} }`).join(', ')} need about ${gb(need)} under max. load (${processes} login processes of ~${LOGIN_PROCESS_RSS / 1024 ** 2} MB), more than 80% of this node's memory (${gb(m.totalMem)}); use loginMode high-performance or lower process_limit`);
    }
  }
  return out;
}

/** RLIMIT_NOFILE of this process from /proc (Linux); null elsewhere. */
export function fdLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

export function machineFacts(): MachineFacts { return { cpus: cpus().length, totalMem: totalmem(), fdLimit: fdLimit() }; }
