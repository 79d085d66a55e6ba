"""Chat platform adapters: thin translators between a platform and the shared commands."""
