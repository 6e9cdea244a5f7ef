/**
 * Names the Grafana provisioning shares with the Prometheus configuration. The job names must
 * equal the `job_name`s in deploy/prometheus/prometheus.yml (test/ops/grafana.test.ts
 * checks), and the datasource uid the one in provisioning/datasources/prometheus.yml.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const JOB_INFERENCE = 'spam-detector-inference';
export const JOB_EXPORTER = 'spam-detector-exporter';

/** uid of the provisioned Prometheus datasource (Grafana-managed alert rules need a fixed uid). */
export const DATASOURCE_UID = 'spam-detector-prometheus';
export const DASHBOARD_UID = 'spam-detection-model';
export const DASHBOARD_TITLE = 'Spam Detection Model';
export const FOLDER_TITLE = 'Spam Detector';
/** Grafana's folder uid for the alert rules; the dashboard provider creates a folder of this title. */
export const FOLDER_UID = 'spam-detector';

/** deploy/grafana, from this file's place in the sources or in dist/. */
export const GRAFANA_DIR = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  const sourceDir = here.includes(`${join('dist', 'deploy')}`) ? here.replace(`${join('dist', 'deploy')}`, 'deploy') : here;
  return resolve(sourceDir, '..');
})();

export const DASHBOARD_FILE = join(GRAFANA_DIR, 'dashboards', 'spam-detection-model.json');
export const ALERTING_DIR = join(GRAFANA_DIR, 'provisioning', 'alerting');
