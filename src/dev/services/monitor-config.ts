import { isolatedNames, loadConfig, type ConfigValue, type MonitorConfig } from '../../config/index.js';
import type { ServiceAddresses } from './config.js';

/**
 * A monitor configuration pointed at the local services, with names of its own (`id` prefixes the
 * group, topics and InfluxDB database; the Slack token is `xoxb-<id>`) so it runs beside others on one
 * broker. Tests, benchmarks and `rootline demo --stack local` use it; `over` wins. No provenance catalog unless `over`
 * names one (`catalog.url`): most tests are about other things, and each embedded catalog costs memory and time.
 */
export function localMonitorConfig(
  addresses: ServiceAddresses,
  id: string,
  over: Record<string, ConfigValue> = {},
): MonitorConfig {
  return loadConfig({
    env: {},
    overrides: {
      'kafka.brokers': addresses.kafkaBrokers,
      ...isolatedNames(id),
      'schemaRegistry.url': addresses.registryUrl,
      'influx.url': addresses.influxUrl,
      'influx.bucket': id.replace(/[^A-Za-z0-9_]/g, '_'),
      'http.port': 0,
      'slack.token': `xoxb-${id}`,
      'slack.apiUrl': addresses.slackApiUrl,
      'log.level': 'error',
      'catalog.url': 'none',
      ...over,
    },
  });
}
