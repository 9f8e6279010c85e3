export type { Directory, UserRecord } from './types.js';
export { FileDirectory, UsersFileError, hashPassword, verifyPassword, parseStoredPassword } from './file/index.js';
