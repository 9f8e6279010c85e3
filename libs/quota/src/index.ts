export { userQuota, type UserQuota } from './usage.js';
export { quotaStatus, stripDetail, DEFAULT_ANSWERS, type QuotaStatusAnswers, type StatusDeps, type StatusVerdict } from './status.js';
export { decideWarning, readCrossed, writeCrossed, STATE_FILE } from './warning-state.js';
export { warningMessage, type WarningTexts } from './warning-message.js';
export { InProcessWarningQueue, BullmqWarningQueue, QUEUE_NAME, type WarningQueue, type WarningJob, type WarningJobFn, type BullmqOptions } from './warning-queue.js';
export { QuotaWarner, warningJob, storeWithQuotaWarnings, type QuotaWarningDeps, type WarningTarget } from './warnings.js';
