/**
 * Slack's limits on what a message may carry, as documented (docs.slack.dev, Block Kit reference and
 * chat.postMessage), in characters (counted here as UTF-16 code units, which is never fewer than Slack
 * counts). A payload over any of them is refused with `invalid_blocks` (or `msg_too_long`).
 */
export const SLACK_LIMITS = {
  /** Blocks in one message: 50 (Block Kit "blocks" reference). */
  blocks: 50,
  /** A section's text: 3,000 (section block: "maximum length is 3000 characters"). */
  sectionText: 3000,
  /** Each field of a section: 2,000 (section block: "Maximum length for the text in each item is 2000"). */
  fieldText: 2000,
  /** Fields in one section: 10 (section block: "Maximum number of items is 10"). */
  fields: 10,
  /** A header's plain text: 150 (header block: "Maximum length for the text in this field is 150"). */
  headerText: 150,
  /** Elements of a context block: 10 (context block: "Maximum number of items is 10"). */
  contextElements: 10,
  /** Elements of an actions block: 25 (actions block). */
  actionsElements: 25,
  /** A button's label: 75; its value: 2,000; its url: 3,000 (button element). */
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  /** action_id and block_id: 255 each (button element, every block). */
  actionId: 255,
  blockId: 255,
  /**
   * The top-level `text`: Slack truncates past 40,000 (chat.postMessage, "truncating really long
   * messages", 2018 changelog) and answers `msg_too_long` for what it will not take.
   */
  messageText: 40_000,
  /**
   * Not documented: Slack refuses blocks whose texts add up to about 12,000-13,000 characters with
   * `msg_blocks_too_long` (slackapi/bolt-js#2509, #2867: "12,000 text characters with a buffer for block
   * containers"), however small each block is. The renderer's budgets keep the sum under this.
   */
  blocksTotalText: 12_000,
} as const;

/**
 * Message metadata (`event_type`, `event_payload`) has no size documented; Rootline keeps its payload to
 * two short scalars (incident id and version) so it never approaches one.
 */
export const METADATA_EVENT = 'rootline_incident';

const ELLIPSIS = '…';

/** Escapes text for Slack mrkdwn: `&`, `<`, `>` become `&amp;` `&lt;` `&gt;`, as Slack documents. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The longest prefix of `s` of at most `max` UTF-16 code units that ends on a character (grapheme)
 * boundary: never inside a surrogate pair, a flag or an emoji sequence. Only a window around the cut is
 * segmented, so a 10 kB name costs no more than a short one.
 */
function safePrefix(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max);
  const from = Math.max(0, end - 32);
  let boundary = from;
  for (const g of graphemes.segment(s.slice(from, end + 32))) {
    if (from + g.index > end) break;
    boundary = from + g.index;
  }
  if (boundary > from || from === 0) end = boundary;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return s.slice(0, end);
}

/** Where a cut of escaped mrkdwn at `end` would land inside an entity, a `<...>` link or a code span. */
function safeMrkdwnEnd(s: string, end: number): number {
  const head = s.slice(0, end);
  const amp = head.lastIndexOf('&');
  if (amp >= 0 && amp > head.lastIndexOf(';') && end - amp < 8) end = amp;
  const lt = s.lastIndexOf('<', end - 1);
  if (lt >= 0 && lt > s.lastIndexOf('>', end - 1)) end = lt;
  const ticks = (s.slice(0, end).match(/`/g) ?? []).length;
  if (ticks % 2 === 1) end = s.lastIndexOf('`', end - 1);
  return end;
}

/**
 * Cuts `s` to at most `max` UTF-16 code units, ending with "…" when cut. Never splits a surrogate pair;
 * with `mrkdwn`, never splits an escape (`&amp;`), a `<link|label>` or a `code span` either.
 */
export function truncate(s: string, max: number, options: { mrkdwn?: boolean } = {}): string {
  if (s.length <= max) return s;
  let head = safePrefix(s, max - ELLIPSIS.length);
  if (options.mrkdwn) head = safePrefix(head, safeMrkdwnEnd(s, head.length));
  return head + ELLIPSIS;
}

/** Longest name shown in full inside a message (the full name is behind the incident link). */
export const DEFAULT_NAME_MAX = 120;

/**
 * A user-provided name as an inline code span: cut to `max` (before escaping, so no escape is split),
 * escaped, with backticks and line breaks (which would end the span) replaced by look-alikes.
 */
export function code(name: string, max = DEFAULT_NAME_MAX): string {
  const shown = truncate(name, max)
    .replace(/`/g, 'ˋ')
    .replace(/[\r\n]+/g, ' ');
  return `\`${esc(shown.trim() === '' ? '(empty)' : shown)}\``;
}

/** User-provided free text (a message, a cause): cut to `max` before escaping, then escaped. */
export function plain(s: string, max: number): string {
  return esc(truncate(s, max));
}

/**
 * Joins rendered items with `sep` while the result fits in `max`; the rest become "… and N more" and,
 * when given, a link to where they can all be read.
 */
export function listWithin(
  items: readonly string[],
  max: number,
  options: { sep?: string; link?: string | undefined } = {},
): string {
  const sep = options.sep ?? ', ';
  const link = options.link && options.link.length <= max / 4 ? options.link : undefined;
  const more = (n: number) => `${sep === '\n' ? '\n' : ' '}… and ${n} more${link ? ` (<${link}|full incident>)` : ''}`;
  let out = '';
  for (let k = 0; k < items.length; k++) {
    const next = (k === 0 ? '' : sep) + items[k]!;
    const reserve = k + 1 < items.length ? more(items.length - k - 1).length : 0;
    if (out.length + next.length + reserve > max) {
      if (k === 0) return more(items.length).trimStart();
      return out + more(items.length - k);
    }
    out += next;
  }
  return out;
}
