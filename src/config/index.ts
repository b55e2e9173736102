export { SETTINGS, type Setting, type SettingType } from './spec.js';
export { loadConfig, describeConfig, configDocs, isolatedNames, type MonitorConfig, type ConfigValue } from './load.js';
