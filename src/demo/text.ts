import type { Block } from '../actions/index.js';

/** Slack mrkdwn to plain terminal text: links as "text (url)", entities decoded, formatting marks kept light. */
export function mrkdwnToText(s: string): string {
  return s
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/:[a-z_]+: /g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\*([^*\n]+)\*/g, '$1');
}

/** A Block Kit message as a person would read it in Slack, for the terminal. */
export function blocksToText(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    const text = (b.text as { text?: string } | undefined)?.text;
    switch (b.type) {
      case 'header':
        out.push(`== ${text ?? ''} ==`);
        break;
      case 'section':
        if (text) out.push(mrkdwnToText(text));
        for (const f of (b.fields as { text: string }[] | undefined) ?? [])
          out.push(mrkdwnToText(f.text).replace('\n', ': '));
        break;
      case 'context':
        for (const e of (b.elements as { text?: string }[] | undefined) ?? [])
          if (e.text) out.push(mrkdwnToText(e.text));
        break;
      case 'actions':
        for (const e of (b.elements as { url?: string; text?: { text?: string } }[] | undefined) ?? [])
          if (e.url) out.push(`[${e.text?.text ?? 'link'}] ${e.url}`);
        break;
      default:
        break;
    }
  }
  return out.join('\n');
}
