/**
 * The exporter's metrics about itself (services/exporter/src/telemetry/telemetry.ts): frames by
 * type, malformed ones by reason, connected publishers, freshness (-1 before the first event),
 * and collector errors present at 0 for every collector from the start.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { Telemetry } from '../../../../services/exporter/src/telemetry/telemetry.js';
import { CHANNEL_EVENT_TYPES, MALFORMED_REASONS } from '../../../../shared/events.js';

function value(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

t.test('counts, gauges and their starting values', async (t) => {
  const registry = new Registry();
  let connected = 0;
  const tel = new Telemetry(registry, () => connected, ['cpu', 'disk']);
  let text = await registry.metrics();
  for (const type of CHANNEL_EVENT_TYPES) t.equal(value(text, 'spam_detector_exporter_events_received_total', `type="${type}"`), 0, `received ${type} at 0`);
  for (const reason of MALFORMED_REASONS) t.equal(value(text, 'spam_detector_exporter_events_malformed_total', `reason="${reason}"`), 0, `malformed ${reason} at 0`);
  t.equal(value(text, 'spam_detector_exporter_collector_errors_total', 'collector="cpu"'), 0);
  t.equal(value(text, 'spam_detector_exporter_collector_errors_total', 'collector="disk"'), 0);
  t.equal(value(text, 'spam_detector_exporter_publishers_connected'), 0);
  t.equal(value(text, 'spam_detector_exporter_last_event_timestamp_seconds'), 0);
  t.equal(value(text, 'spam_detector_exporter_last_event_age_seconds'), -1, 'nothing received since start');

  tel.countReceived('request');
  tel.countReceived('request');
  tel.countReceived('hello');
  tel.countMalformed(MALFORMED_REASONS[0]!);
  tel.countCollectorError('disk');
  connected = 3;
  tel.lastEventMs = Date.now() - 2500;
  text = await registry.metrics();
  t.equal(value(text, 'spam_detector_exporter_events_received_total', 'type="request"'), 2);
  t.equal(value(text, 'spam_detector_exporter_events_received_total', 'type="hello"'), 1);
  t.equal(value(text, 'spam_detector_exporter_events_malformed_total', `reason="${MALFORMED_REASONS[0]}"`), 1);
  t.equal(value(text, 'spam_detector_exporter_collector_errors_total', 'collector="disk"'), 1);
  t.equal(value(text, 'spam_detector_exporter_publishers_connected'), 3, 'read at scrape');
  t.equal(value(text, 'spam_detector_exporter_last_event_timestamp_seconds'), tel.lastEventMs / 1000);
  const age = value(text, 'spam_detector_exporter_last_event_age_seconds')!;
  t.ok(age >= 2.5 && age < 5, `age ${age} s`);

  tel.lastEventMs = Date.now() + 10_000;
  t.equal(value(await registry.metrics(), 'spam_detector_exporter_last_event_age_seconds'), 0, 'a clock step back never gives a negative age');
});
