"""Device layer: one package per device kind (idcard, printer, scanner) with its interface,
transports and a simulator speaking the same bytes, plus the device manager. Imports no other
package of this project."""
