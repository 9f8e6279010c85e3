export { FileDirectory, UsersFileError, type FileDirectoryOptions, type DirectoryLogger } from './file-directory.js';
export { parseUsersFile, isSafeAddress, type UsersTable, type UserEntry } from './users-file.js';
export { hashPassword, verifyPassword, verifyPasswordAsync, parseStoredPassword, type StoredPassword, type Scheme } from './password.js';
export { shaCrypt, shaCryptAsync, shaCryptHash } from './sha-crypt.js';
