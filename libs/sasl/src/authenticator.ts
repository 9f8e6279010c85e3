/**
 * Turns a finished SASL exchange (authcid, password, authzid) or a LOGIN/USER+PASS pair into a user,
 * with the two policies every protocol shares:
 * - plaintext mechanisms only over TLS or from trusted networks (Dovecot disable_plaintext_auth and
 *   login_trusted_networks);
 * - master-user login for trusted proxies (Dovecot auth_master_user_separator, "user*master", or
 *   PLAIN with authzid=user, authcid=master), only from the configured master networks, and only
 *   as a user that exists and is not disabled.
 * Pure: the user source (the Directory) and the hash check are injected, so this lib imports no I/O.
 */
import { createMechanism } from './mechanisms.js';
import type { SaslMechanism } from './types.js';
import { NetworkList } from './networks.js';

export interface AuthUser { readonly user: string; readonly disabled: boolean }

/** Where a login comes from (same fields as the Directory's AuthContext). */
export interface LoginContext {
  readonly service?: string;
  readonly remoteIp?: string;
  readonly secure?: boolean;
}

/** What we need from the Directory (structural, so this pure lib does not import it). */
export interface UserSource<U extends AuthUser> {
  authenticate(login: string, password: string, ctx?: LoginContext): Promise<U | null>;
  lookup(address: string): Promise<U | null>;
}

export interface SaslPolicyConfig {
  /** Plaintext mechanisms on any connection (Dovecot disable_plaintext_auth = no). */
  allowPlaintext: boolean;
  /** Plaintext mechanisms without TLS from these networks (CIDR). */
  trustedNetworks: readonly string[];
  /** Separator in "user*master" (Dovecot auth_master_user_separator). Empty: only the PLAIN authzid form. */
  masterSeparator: string;
  /** Master user name -> stored password hash ("{SHA512-CRYPT}$6$...", "{SSHA256}...", "{PLAIN}..."). */
  masterUsers: Readonly<Record<string, string>>;
  /** Networks a master login may come from (the proxies). Empty: master login refused everywhere. */
  masterNetworks: readonly string[];
}

export type LoginFailure =
  | 'credentials'        // unknown user or wrong password (never told apart to the client)
  | 'master-untrusted'   // master login from outside masterNetworks
  | 'master-password'    // wrong master password
  | 'master-target';     // the user to log in as does not exist or is disabled

export type LoginOutcome<U> =
  | { ok: true; user: U; master: string | null }
  | { ok: false; why: LoginFailure };

export class SaslAuthenticator<U extends AuthUser> {
  private readonly trusted: NetworkList;
  private readonly masterNets: NetworkList;
  private readonly masters: ReadonlyMap<string, string>;

  /** Throws an Error naming the bad networks when a list does not parse. */
  constructor(
    private readonly users: UserSource<U>,
    private readonly cfg: SaslPolicyConfig,
    /** Checks a password against a stored "{SCHEME}..." hash (the Directory's verifier). */
    private readonly verify: (password: string, stored: string) => Promise<boolean>,
  ) {
    this.trusted = NetworkList.parse(cfg.trustedNetworks);
    this.masterNets = NetworkList.parse(cfg.masterNetworks);
    this.masters = new Map(Object.entries(cfg.masterUsers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** RFC 8314 §5 / Dovecot: may a plaintext mechanism (PLAIN, LOGIN, IMAP LOGIN) be used here? */
  plaintextAllowed(ctx: LoginContext): boolean {
    return this.cfg.allowPlaintext || ctx.secure === true || this.trusted.contains(ctx.remoteIp);
  }

  /** Whether `ip` lies in a trusted network (for ID/XCLIENT-style forwarded fields). */
  isTrusted(ip: string | undefined): boolean { return this.trusted.contains(ip); }

  /**
   * A mechanism whose PLAIN accepts an authzid naming another user when authcid is a master user;
   * login() then enforces the network and password.
   */
  mechanism(name: string): SaslMechanism | null {
    return createMechanism(name, { allowAuthzid: (authcid) => this.masters.has(authcid.toLowerCase()) });
  }

  /**
   * Checks credentials. `authzid` comes from SASL PLAIN (null otherwise). A MailError('TEMP') from
   * the user source passes through (the caller answers "try again later", never "wrong password").
   */
  async login(authcid: string, password: string, authzid: string | null, ctx: LoginContext): Promise<LoginOutcome<U>> {
    const target = authzid !== null && authzid !== '' && authzid.toLowerCase() !== authcid.toLowerCase() ? authzid : null;
    if (target !== null) return this.masterLogin(authcid, password, target, ctx);
    const sep = this.cfg.masterSeparator;
    if (sep !== '') {
      const i = authcid.lastIndexOf(sep);
      if (i > 0 && this.masters.has(authcid.slice(i + sep.length).toLowerCase())) {
        return this.masterLogin(authcid.slice(i + sep.length), password, authcid.slice(0, i), ctx);
      }
    }
    const user = await this.users.authenticate(authcid, password, ctx);
    if (!user || user.disabled) return { ok: false, why: 'credentials' };
    return { ok: true, user, master: null };
  }

  private async masterLogin(master: string, password: string, target: string, ctx: LoginContext): Promise<LoginOutcome<U>> {
    const stored = this.masters.get(master.toLowerCase());
    if (stored === undefined) return { ok: false, why: 'credentials' };
    if (!this.masterNets.contains(ctx.remoteIp)) return { ok: false, why: 'master-untrusted' };
    if (!(await this.verify(password, stored))) return { ok: false, why: 'master-password' };
    const user = await this.users.lookup(target);
    if (!user || user.disabled) return { ok: false, why: 'master-target' };
    return { ok: true, user, master: master.toLowerCase() };
  }
}
