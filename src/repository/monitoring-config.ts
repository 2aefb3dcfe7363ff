// Prometheus settings from a `--monitoring_config_file` (text MonitoringConfig).
import { ServingError } from '../errors/serving-error.js';
import { readConfigFileText } from './config-file-text.js';
import { parseTextProto } from './proto-loader.js';

export const DEFAULT_PROMETHEUS_PATH = '/monitoring/prometheus/metrics';

export interface MonitoringConfig {
  readonly prometheusEnabled: boolean;
  /** Exact request path of the metrics page (TF Serving compares it with the query string included). */
  readonly prometheusPath: string;
}

/**
 * Parses e.g. `prometheus_config { enable: true path: "/metrics" }`; an empty or unset path means the default.
 * An enabled path without a leading `/` is refused: request paths always start with one, so TF Serving accepts
 * such a path and then never serves it.
 */
export function parseMonitoringConfig(text: string, fileName: string): MonitoringConfig {
  const prometheus = parseTextProto('tensorflow.serving.MonitoringConfig', text, fileName).prometheus_config;
  const configuredPath = prometheus?.path ?? '';
  if (prometheus?.enable === true && configuredPath !== '' && !configuredPath.startsWith('/')) {
    throw new ServingError(
      'INVALID_ARGUMENT',
      `${fileName}: prometheus_config.path must start with "/" (it is compared with the request path); got "${configuredPath}", did you mean "/${configuredPath}"?`,
    );
  }
  return {
    prometheusEnabled: prometheus?.enable ?? false,
    prometheusPath: configuredPath === '' ? DEFAULT_PROMETHEUS_PATH : configuredPath,
  };
}

/** Reads and parses the file given by `--monitoring_config_file`. */
export async function readMonitoringConfigFile(path: string): Promise<MonitoringConfig> {
  return parseMonitoringConfig(await readConfigFileText(path, 'monitoring_config_file'), path);
}
