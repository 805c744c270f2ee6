/**
 * Names that break careless code: shells, line-based tools, normalisation, length limits. Each
 * group is one case on a writable mount, and every name is in the sample tree's names/ directory.
 */
export const hostileNames: ReadonlyArray<{ what: string; names: readonly string[] }> = [
  { what: 'spaces', names: ['a name with spaces'] },
  { what: 'a newline', names: ['line\nbreak'] },
  { what: 'a tab', names: ['tab\there'] },
  // Two names: the filesystem must keep bytes, not characters (macOS's normalisation would merge them).
  { what: 'unicode in NFC and NFD', names: ['caf\u00e9', 'cafe\u0301'] },
  { what: 'quotes and backslashes', names: ['it\'s "quoted"', 'back\\slash\\'] },
  { what: '255 bytes of three-byte characters', names: ['日'.repeat(85)] },
  { what: 'the look of options', names: ['-rf', '--help', '-'] },
  { what: 'only dots, other than . and ..', names: ['...', '....'] },
  { what: 'leading and trailing spaces', names: [' leading', 'trailing ', ' '] },
  { what: 'shell and glob characters', names: ['$HOME', '*?[a-z]', '`id`;|&<>'] },
  { what: 'a character outside the basic plane', names: ['emoji \u{1f600}'] },
]
