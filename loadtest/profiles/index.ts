/** The profile table. */
import type { Profile } from './types.js';
import { imapMixed } from './imap-mixed.js';
import { lmtpProfile } from './lmtp.js';
import { pop3Profile } from './pop3.js';
import { loginStorm } from './login-storm.js';
import { idleSoak } from './idle-soak.js';

export const PROFILE_TABLE: Record<string, Profile> = {
  'imap-mixed': imapMixed,
  lmtp: lmtpProfile,
  pop3: pop3Profile,
  'login-storm': loginStorm,
  'idle-soak': idleSoak,
};
