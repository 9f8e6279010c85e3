export { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory.js';
export { ldapConfig, UCS_ATTRIBUTES, UCS_FILTERS, type LdapDirectoryConfig, type LdapAttributes, type PasswordCheck } from './config.js';
export { escapeFilterValue, fillFilter } from './filter.js';
export { parseAcl, isDisabled, UCS_RIGHTS } from './entry.js';
export { verifyStored } from './stored-password.js';
