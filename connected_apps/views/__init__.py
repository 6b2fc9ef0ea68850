"""Thin function-based views, one module per page group; shared decorators live in ``common``."""
