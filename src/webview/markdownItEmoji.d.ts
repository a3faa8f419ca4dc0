// markdown-it-emoji ships no types; this is the part we use.
declare module 'markdown-it-emoji' {
  import type { PluginWithOptions } from 'markdown-it';
  /** Options for the emoji plugins. */
  export interface EmojiOptions {
    defs?: Record<string, string>;
    shortcuts?: Record<string, string | string[]>;
    enabled?: string[];
  }
  export const full: PluginWithOptions<EmojiOptions>;
  export const light: PluginWithOptions<EmojiOptions>;
  export const bare: PluginWithOptions<EmojiOptions>;
}
