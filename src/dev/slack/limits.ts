/**
 * What Slack checks in a chat.postMessage / chat.update payload before taking it, so the local server
 * refuses what Slack would refuse, with the answer Slack gives. Kept apart from the renderer's own
 * table on purpose: the server stands in for Slack and must not share the client's idea of the limits.
 *
 * Numbers from Slack's reference (docs.slack.dev): section text 1..3000, section fields at most 10 of
 * 1..2000 each, header plain_text 1..150, context at most 10 elements, actions at most 25 elements,
 * button text 75 / value 2000 / url 3000 / action_id 255, block_id 255, 50 blocks a message; message
 * text 40,000 (chat.postMessage `msg_too_long`). Blocks whose texts add up to more than 12,000
 * characters are refused with `msg_blocks_too_long` (undocumented; slackapi/bolt-js#2509).
 */

/** Slack's answer to a refused payload (`ok: false`). */
export interface Refusal {
  ok: false;
  error: string;
  errors?: string[];
  response_metadata?: { messages: string[] };
}

const MAX = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  textObject: 3000,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionId: 255,
  blockId: 255,
  messageText: 40_000,
  blocksTotalText: 12_000,
};

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

class Checker {
  readonly problems: string[] = [];
  totalText = 0;

  fail(message: string, pointer: string): void {
    this.problems.push(`${message} [json-pointer:${pointer}]`);
  }

  length(value: unknown, max: number, pointer: string, min = 0): void {
    if (typeof value !== 'string') return this.fail('must be a string', pointer);
    if (value.length < min) this.fail(`must be more than ${min - 1} characters`, pointer);
    if (value.length > max) this.fail(`must be less than ${max + 1} characters`, pointer);
  }

  count(value: unknown, max: number, pointer: string, allowEmpty = false): unknown[] {
    if (!Array.isArray(value)) {
      this.fail('must be an array', pointer);
      return [];
    }
    if (value.length === 0 && !allowEmpty) this.fail('must provide at least 1 item', pointer);
    if (value.length > max) this.fail(`no more than ${max} items allowed`, pointer);
    return value;
  }

  textObject(t: unknown, max: number, pointer: string, plainOnly = false): void {
    if (!isObject(t)) return this.fail('must be an object', pointer);
    if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn'))
      this.fail(`must be one of [${plainOnly ? 'plain_text' : 'plain_text, mrkdwn'}]`, `${pointer}/type`);
    this.length(t.text, max, `${pointer}/text`, 1);
    if (typeof t.text === 'string') this.totalText += t.text.length;
  }

  element(e: unknown, pointer: string): void {
    if (!isObject(e)) return this.fail('must be an object', pointer);
    if (e.action_id !== undefined) this.length(e.action_id, MAX.actionId, `${pointer}/action_id`);
    if (e.type === 'button') {
      this.textObject(e.text, MAX.buttonText, `${pointer}/text`, true);
      if (e.value !== undefined) this.length(e.value, MAX.buttonValue, `${pointer}/value`);
      if (e.url !== undefined) this.length(e.url, MAX.url, `${pointer}/url`);
    }
  }

  block(b: unknown, pointer: string): void {
    if (!isObject(b)) return this.fail('must be an object', pointer);
    if (b.block_id !== undefined) this.length(b.block_id, MAX.blockId, `${pointer}/block_id`);
    switch (b.type) {
      case 'header':
        return this.textObject(b.text, MAX.headerText, `${pointer}/text`, true);
      case 'section':
        if (b.text === undefined && b.fields === undefined)
          return this.fail('must provide either text or fields', pointer);
        if (b.text !== undefined) this.textObject(b.text, MAX.sectionText, `${pointer}/text`);
        if (b.fields !== undefined)
          this.count(b.fields, MAX.fields, `${pointer}/fields`).forEach((f, k) =>
            this.textObject(f, MAX.fieldText, `${pointer}/fields/${k}`),
          );
        return;
      case 'context':
        this.count(b.elements, MAX.contextElements, `${pointer}/elements`).forEach((e, k) =>
          isObject(e) && e.type === 'image'
            ? undefined
            : this.textObject(e, MAX.textObject, `${pointer}/elements/${k}`),
        );
        return;
      case 'actions':
        this.count(b.elements, MAX.actionsElements, `${pointer}/elements`).forEach((e, k) =>
          this.element(e, `${pointer}/elements/${k}`),
        );
        return;
      case 'divider':
        return;
      default:
        return this.fail(`unsupported type: ${String(b.type)}`, `${pointer}/type`);
    }
  }
}

/**
 * Checks a message's text, blocks and metadata; undefined when Slack would take it. chat.update takes
 * an empty `blocks` array (it removes the message's blocks); chat.postMessage does not.
 */
export function checkMessage(args: Record<string, unknown>, options: { update?: boolean } = {}): Refusal | undefined {
  if (typeof args.text === 'string' && args.text.length > MAX.messageText) return { ok: false, error: 'msg_too_long' };
  if (args.metadata !== undefined) {
    const m = args.metadata;
    if (!isObject(m) || typeof m.event_type !== 'string' || !isObject(m.event_payload))
      return { ok: false, error: 'invalid_metadata_format' };
  }
  if (args.blocks === undefined) return undefined;
  const c = new Checker();
  c.count(args.blocks, MAX.blocks, '/blocks', options.update).forEach((b, k) => c.block(b, `/blocks/${k}`));
  if (c.problems.length > 0)
    return {
      ok: false,
      error: 'invalid_blocks',
      errors: c.problems,
      response_metadata: { messages: c.problems.map((p) => `[ERROR] ${p}`) },
    };
  if (c.totalText > MAX.blocksTotalText) return { ok: false, error: 'msg_blocks_too_long' };
  return undefined;
}
