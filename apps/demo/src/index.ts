export { type DemoConfig, loadConfig } from './config.ts';
export { createDemoServer, type DemoServer, type DemoServerConfig } from './create-demo-server.ts';
export { createDemoLogger, type DemoLogger } from './logger.ts';
export { createDemoMetrics, type DemoMetrics } from './metrics.ts';
