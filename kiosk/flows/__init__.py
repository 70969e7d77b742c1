"""Citizen flows as state machines: each flow has a ``state``, handles actions and device
events, and describes the current screen as a plain view model that QML renders."""
