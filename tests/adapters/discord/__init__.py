"""Tests of the Discord adapter against a fake Discord on 127.0.0.1."""
