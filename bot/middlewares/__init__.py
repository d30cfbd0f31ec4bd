"""Middlewares that run before every handler."""
