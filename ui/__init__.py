"""PySide6 user interfaces: citizen kiosk, hall display, counter console, technician panel.
The only package that imports Qt."""
