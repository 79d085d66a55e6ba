"""Tests of the chat platform adapters."""
