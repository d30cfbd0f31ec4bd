"""Loopback servers that stand in for Telegram and for LLM providers in tests."""
