"""Text messages to citizens who opted in: the CMPP 2.0 client and its simulator, the outbox
(sms.db) and the dispatcher that follows the queue's event log (docs/sms.md)."""
