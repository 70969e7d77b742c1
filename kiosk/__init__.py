"""Application core without Qt: configuration, catalogue, citizen flows as state machines,
session and privacy, translated strings, audit. Used by ``ui`` and wired by ``main.py``."""
