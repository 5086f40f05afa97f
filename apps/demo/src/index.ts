export { type DemoConfig, loadConfig } from './config.ts';
export { createDemoServer, type DemoServer, type DemoServerConfig } from './create-demo-server.ts';
