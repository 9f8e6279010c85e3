export { createLogger, redactProtocolLine, prettyStream, type Logger, type LoggerOptions } from './logger.js';
export { createMetrics, type PlatformMetrics } from './metrics.js';
export { protocolMetrics, type ProtocolMetrics } from './protocol-metrics.js';
export { startHttp, type HttpEndpoint, type HttpOptions, type ReadinessCheck } from './http.js';
