export { harnessConfig, addresses, DEFAULT_PORTS, type HarnessConfig, type ServiceAddresses } from './config.js';
export {
  servicesUp,
  servicesDown,
  servicesStatus,
  describeAddresses,
  SERVICE_NAMES,
  type ServiceName,
  type UpResult,
  type ServiceStatus,
} from './services.js';
export { checkPrerequisites, installAll } from './install.js';
export { localMonitorConfig } from './monitor-config.js';
export { installPostgres } from './postgres.js';
