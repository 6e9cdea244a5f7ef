/** The exporter's configuration (services/exporter/src/config.ts): DRIFT_REFERENCE. */
import t from 'tap';
import { readExporterConfig } from '../../../services/exporter/src/config.js';
import { ConfigError } from '../../../shared/env.js';

t.test('DRIFT_REFERENCE: all by default, a kind of message, or a start-stopping error naming it', async (t) => {
  t.equal(readExporterConfig({}).driftReference, 'all', 'default');
  t.equal(readExporterConfig({ DRIFT_REFERENCE: '' }).driftReference, 'all', 'empty: the default');
  for (const kind of ['all', 'email', 'sms', 'user'] as const) {
    t.equal(readExporterConfig({ DRIFT_REFERENCE: kind }).driftReference, kind);
  }
  t.equal(readExporterConfig({ DRIFT_REFERENCE: ' sms ' }).driftReference, 'sms', 'surrounding spaces ignored, as for every variable');
  for (const bad of ['SMS', 'chat', 'text', 'sms,email', '1']) {
    t.throws(
      () => readExporterConfig({ DRIFT_REFERENCE: bad }),
      { name: 'ConfigError', message: `DRIFT_REFERENCE must be one of all, email, sms, user, got "${bad}"` },
      `refuses ${bad}`,
    );
  }
  t.throws(() => readExporterConfig({ DRIFT_REFERENCE: 'x' }), ConfigError, 'a ConfigError: main.ts exits 2 with the message');
});
