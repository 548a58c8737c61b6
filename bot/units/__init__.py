"""The unit tree: the directory the engine reads (with the names communes had before the
2025 merger, from the `vietnamadminunits` package's offline tables), a province's tree
from the official 2025 divisions (`vietnam-provinces`), units from an officer's CSV or
XLSX file, moving and merging subtrees, and the tree's counts. Plain functions of a
session (the console and the CLI call them, and record the audit entry); may import
storage and flows.units, never bot.console."""
