"""The DataForge terminal app: Textual panes that are windows of the core runtime.

Kept import-light: `tui.cli` must start without loading Textual for non-UI subcommands.
"""
