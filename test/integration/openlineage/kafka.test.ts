// The real openlineage-python client's Kafka transport writes RunEvents to the broker; the test consumes
// them and converts them with convertRunEvent (and through the monitor's decoder) into valid reports.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { validateReport } from '../../../src/contract/index.js';
import { decodeMessage, isOpenLineageEvent } from '../../../src/adapters/decode/decode.js';
import { convertRunEvent, openLineageEventId } from '../../../src/openlineage/index.js';
import { consumer, eventually, services, topic, unique } from '../helpers.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('OpenLineage events from the openlineage-python Kafka transport', () => {
  it(
    'are consumed and converted into valid reports (START the run progress, COMPLETE and FAIL reported)',
    { timeout: 600_000 },
    async () => {
      const t = await topic();
      const { stdout: envOut } = await run(join(ROOT, 'scripts', 'pyenv.sh'), [], { cwd: ROOT, timeout: 540_000 });
      const python = envOut.trim().split('\n').pop()!;
      const { stdout } = await run(
        python,
        [
          join(ROOT, 'test', 'integration', 'openlineage', 'emit_openlineage_kafka.py'),
          services().kafkaBrokers.join(','),
          t,
        ],
        { cwd: ROOT, timeout: 120_000 },
      );
      const runs = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: string; failed: string };

      const values: Buffer[] = [];
      const c = consumer(unique('g'));
      await c.connect();
      await c.subscribe({ topic: t, fromBeginning: true });
      await c.run({
        eachMessage: ({ message }) => {
          values.push(message.value!);
          return Promise.resolve();
        },
      });
      await eventually(() => (values.length >= 3 ? true : undefined), 30_000, 'three OpenLineage events');

      const events = values.map((v) => JSON.parse(v.toString('utf8')) as Record<string, unknown>);
      expect(events.map((e) => e.eventType)).toEqual(['START', 'COMPLETE', 'FAIL']);
      expect(events.every((e) => isOpenLineageEvent(e))).toBe(true);

      const [start, complete, fail] = events.map((e) => convertRunEvent(e));
      // a START is the run's progress: kept until the COMPLETE closes the run
      expect(start).toMatchObject({
        reports: [],
        progress: {
          pipeline: 'airflow/churn_daily',
          node: 'churn_daily.clean_transactions',
          run_id: runs.ok,
          phase: 'START',
        },
      });
      if (!complete || 'errors' in complete || !fail || 'errors' in fail)
        throw new Error(JSON.stringify({ complete, fail }));
      const ok = complete.reports[0]!;
      expect(validateReport(ok).ok).toBe(true);
      expect(ok).toMatchObject({
        event_id: openLineageEventId(runs.ok, 'COMPLETE'),
        pipeline: 'airflow/churn_daily',
        node: 'churn_daily.clean_transactions',
        run_id: runs.ok,
        status: 'success',
        inputs: [
          {
            dataset: 's3://lake/raw/transactions',
            profile: { row_count: 1000, columns: { amount: { kind: 'numeric', null_count: 3, min: 0, max: 99.5 } } },
          },
        ],
        outputs: [{ dataset: 's3://lake/clean/transactions', profile: { row_count: 997 } }],
      });
      expect(ok.outputs![0]!.profile!.schema).toEqual([
        { name: 'customer_id', type: 'string', nullable: true },
        { name: 'amount', type: 'double', nullable: true },
      ]);
      expect(fail.reports[0]).toMatchObject({ run_id: runs.failed, status: 'failed' });

      // the monitor's decoder takes the same messages
      const decoded = await Promise.all(
        values.map((v) => decodeMessage(v, { maxMessageBytes: 1_048_576, openLineage: convertRunEvent })),
      );
      expect(decoded.map((d) => d[0]?.kind)).toEqual(['progress', 'report', 'report']);
    },
  );
});
