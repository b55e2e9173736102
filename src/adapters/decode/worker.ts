/**
 * A decoding worker (node:worker_threads) of {@link DecodePool}: decodes Kafka message values (JSON reports,
 * OpenLineage events, incident commands, forwarded symptoms: {@link decodeMessage}) or replay file lines
 * ({@link decodeLine}) off the main thread, and hands the decoded inputs back by structured clone. The KLL
 * sketches that validation decoded go back as their bytes (one transferred buffer per task), for the main
 * thread to rebuild without decoding their base64 again. Avro never comes here (it needs the schema registry).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeMessage, type Decoded } from './decode.js';
import { decodeLine, type LineInput } from './line.js';
import { convertRunEvent } from '../../openlineage/index.js';
import { peekDecodedSketch } from '../../sketch/shared.js';
import { errorMessage } from '../../errors/index.js';
import type { Report } from '../../contract/index.js';
import type { EntryResult, SketchRef, TaskMessage, ResultMessage } from './pool.js';

const port = parentPort;
if (port === null) throw new Error('the decoding worker runs only as a worker thread');
/** Tests of the recovery only (DecodePoolOptions.crashOn): the thread ends on an entry with this text. */
const crashOn = (workerData as { crashOn?: string } | null)?.crashOn;

port.on('message', (task: TaskMessage) => {
  void run(task).then(
    (msg) => port.postMessage(msg, [msg.sketchBytes]),
    (err: unknown) => {
      // Nothing here is expected to throw (each entry's failure is its own result): a defect of the worker.
      throw err;
    },
  );
});
port.postMessage({ ready: true });

async function run(task: TaskMessage): Promise<ResultMessage> {
  const all = new Uint8Array(task.bytes);
  const results: EntryResult[] = [];
  const sketches: SketchRef[] = [];
  const parts: Uint8Array[] = [];
  let size = 0;
  const keep = (entry: number, item: number, report: Report) => {
    for (const [side, list] of [
      [0, report.outputs],
      [1, report.inputs],
    ] as const)
      list?.forEach((ds, d) => {
        const cols = ds.profile?.columns;
        if (cols === undefined) return;
        for (const column of Object.keys(cols)) {
          const col = cols[column]!;
          const sk = 'sketch' in col ? col.sketch : undefined;
          if (sk === undefined || peekDecodedSketch(sk) === undefined) continue;
          const bytes = Buffer.from(sk.data, 'base64');
          sketches.push([entry, item, side, d, column, size, size + bytes.length]);
          parts.push(bytes);
          size += bytes.length;
        }
      });
  };
  for (let e = 0; e < task.ranges.length / 2; e++) {
    const start = task.ranges[2 * e]!;
    const end = task.ranges[2 * e + 1]!;
    if (
      crashOn !== undefined &&
      start >= 0 &&
      Buffer.from(all.buffer, all.byteOffset + start, end - start).includes(crashOn)
    )
      process.exit(70);
    try {
      if (task.mode === 'message') {
        const value = start < 0 ? null : Buffer.from(all.buffer, all.byteOffset + start, end - start);
        const decoded: Decoded[] = await decodeMessage(value, {
          maxMessageBytes: task.maxMessageBytes,
          ...(task.openLineage ? { openLineage: convertRunEvent } : {}),
        });
        decoded.forEach((d, i) => {
          if (d.kind === 'report') keep(e, i, d.report);
        });
        results.push({ decoded });
      } else {
        // As the in-thread replay reads it (fileLines): the same decoder, so the same replacement of bad bytes.
        const line = Buffer.from(all.buffer, all.byteOffset + start, end - start).toString('utf8');
        if (line.trim() === '') {
          results.push({ blank: true });
          continue;
        }
        const decoded: LineInput = decodeLine(line);
        if (decoded.kind === 'reports') decoded.reports.forEach((r, i) => keep(e, i, r));
        results.push({ line: decoded });
      }
    } catch (err: unknown) {
      results.push({ thrown: errorMessage(err) });
    }
  }
  const sketchBytes = new ArrayBuffer(size);
  const out = new Uint8Array(sketchBytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { id: task.id, results, sketches, sketchBytes };
}
