import { KllDoublesSketch } from './kll.js';

/**
 * Decoded sketches shared between the readers of one report: validation decodes every sketch of a report
 * completely (checks.ts), and the monitor's core reads each again to test drift, to learn the baseline and
 * to measure a column's spread. Each is decoded once and kept here, frozen (read-only: queries never sort
 * it in place, nothing merges into it), keyed by the object that holds its base64 text (a report's
 * `sketch` object, or a baseline slot column), for as long as that object lives. The holder's text must not
 * change afterwards: reports are not changed once validated.
 */
const decoded = new WeakMap<object, KllDoublesSketch>();

/** Remembers `sketch` (frozen by this call) as the decoded form of the sketch that `holder` holds. */
export function shareDecodedSketch(holder: object, sketch: KllDoublesSketch): KllDoublesSketch {
  decoded.set(holder, sketch.freeze());
  return sketch;
}

/** The decoded form remembered for `holder`, if any. */
export function peekDecodedSketch(holder: object): KllDoublesSketch | undefined {
  return decoded.get(holder);
}

/**
 * The frozen KLL sketch of the base64 text `data` that `holder` holds: the remembered one, else decoded
 * now (and remembered). Throws as {@link KllDoublesSketch.deserialize} does for bytes that are no sketch.
 */
export function decodedSketch(holder: object, data: string): KllDoublesSketch {
  const known = decoded.get(holder);
  if (known !== undefined) return known;
  return shareDecodedSketch(holder, KllDoublesSketch.deserialize(new Uint8Array(Buffer.from(data, 'base64'))));
}
