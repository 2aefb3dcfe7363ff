import { describe, expect, it } from 'vitest';
import { ServingError } from '../errors/serving-error.js';
import { DEFAULT_PROMETHEUS_PATH, parseMonitoringConfig } from './monitoring-config.js';

function parse(text: string) {
  return parseMonitoringConfig(text, 'monitoring.config');
}

describe('parseMonitoringConfig', () => {
  it('reads enable and path', () => {
    expect(parse('prometheus_config { enable: true path: "/metrics" }')).toEqual({
      prometheusEnabled: true,
      prometheusPath: '/metrics',
    });
  });

  it('uses the default path when the path is empty or unset', () => {
    expect(DEFAULT_PROMETHEUS_PATH).toBe('/monitoring/prometheus/metrics');
    expect(parse('prometheus_config { enable: true }')).toEqual({
      prometheusEnabled: true,
      prometheusPath: '/monitoring/prometheus/metrics',
    });
    expect(parse('prometheus_config { enable: true path: "" }').prometheusPath).toBe('/monitoring/prometheus/metrics');
  });

  it('refuses an enabled path without a leading slash, which no request could match', () => {
    expect(() => parse('prometheus_config { enable: true path: "metrics" }')).toThrow(
      new ServingError(
        'INVALID_ARGUMENT',
        'monitoring.config: prometheus_config.path must start with "/" (it is compared with the request path); got "metrics", did you mean "/metrics"?',
      ),
    );
    expect(parse('prometheus_config { enable: false path: "metrics" }').prometheusEnabled).toBe(false);
  });

  it('is disabled by default', () => {
    expect(parse('')).toEqual({ prometheusEnabled: false, prometheusPath: '/monitoring/prometheus/metrics' });
    expect(parse('prometheus_config {}').prometheusEnabled).toBe(false);
    expect(parse('# off\nprometheus_config { enable: false path: "/m" }')).toEqual({
      prometheusEnabled: false,
      prometheusPath: '/m',
    });
  });

  it('reports errors with file and line', () => {
    const attempt = (text: string): ServingError => {
      try {
        parse(text);
      } catch (err) {
        if (err instanceof ServingError) return err;
        throw err;
      }
      throw new Error('expected a ServingError');
    };
    const err = attempt('prometheus_config {\n  enable: yes\n}');
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('Error parsing text-format tensorflow.serving.MonitoringConfig: monitoring.config:2: bool value expected');
    expect(attempt('prometheus_config {\n  enabled: true\n}').message).toBe(
      "Error parsing text-format tensorflow.serving.MonitoringConfig: monitoring.config:2: tensorflow.serving.PrometheusConfig: unknown field 'enabled'",
    );
  });
});
