import { runMailstoreContract } from '../../mailstore/src/contract.js';
import { makeMaildirStore } from './testing.js';

// fsync off only for speed; the durability paths are exercised in the crash test.
runMailstoreContract('MaildirStore', () => makeMaildirStore());
runMailstoreContract('MaildirStore (fsync on)', () => makeMaildirStore({ fsync: true }));
