export { deliverMessage, type DeliveryConfig, type DeliveryResult } from './deliver.js';
export { mailHome } from './home.js';
export { stripMboxFromLine } from './from-line.js';
