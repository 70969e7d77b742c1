"""Offline cache: SQLite outbox, content-addressed attachments, encryption at rest, the
exactly-once sync engine for the central platform, and the reference platform server.
Imports no other package of this project."""
