"""Receipt printer: profile, layouts (templates), ESC/POS encoder, status, driver, simulator."""

from devices.printer.driver import Printer, PrintResult
from devices.printer.printer_profile import PrinterProfile
from devices.printer.status import REASON_TEXT, PrinterStatus
from devices.printer.templates import ApplicationReceipt, RatingSlip, TicketSlip

__all__ = ["REASON_TEXT", "ApplicationReceipt", "PrintResult", "Printer", "PrinterProfile", "PrinterStatus",
           "RatingSlip", "TicketSlip"]
