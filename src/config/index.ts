export { SETTINGS, type Setting, type SettingType } from './spec.js';
export { loadConfig, describeConfig, configDocs, type MonitorConfig, type ConfigValue } from './load.js';
