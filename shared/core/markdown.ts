/**
 * Text from input (an Alertmanager label, a CMS alarm name, an ACK reason, an operator's
 * command reason) placed in Markdown: the postmortem report and the DingTalk notices. Such text
 * must read as text: no link, image, raw HTML, emphasis or heading it carries is rendered, and a
 * newline in it cannot start a block (a heading, a list, a quote) or end a table row. Pure.
 */

/** Characters that open or close an inline construct (CommonMark §2.4 lists what a backslash escapes). */
const INLINE = /[\\`*_[\]!|~#]/g;

/**
 * `s` escaped for any place in a Markdown line (a paragraph, a heading, a list item, a table
 * cell). `<`, `>` and `&` become entities rather than backslash escapes: renderers that do not
 * follow CommonMark's escapes (chat robots) still show them as text. A bare URL is defanged with
 * a zero-width space after its scheme (`https:\u200b//…`), so GFM's extended autolinks and chat
 * clients do not turn it into a link either.
 */
export function escapeMarkdown(s: string): string {
  return (
    s
      .replace(/\r\n?|\n/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(INLINE, (c) => `\\${c}`)
      .replace(/([a-z][a-z0-9+.-]*):\/\//gi, '$1:\u200b//')
      .replace(/\bwww\./gi, 'www\u200b.')
      // A line of the report may begin with the text itself: a leading list marker or ordered-list number stays text.
      .replace(/^(\s*)([-+])(?=\s|$)/, '$1\\$2')
      .replace(/^(\s*\d+)([.)])/, '$1\\$2')
  );
}
