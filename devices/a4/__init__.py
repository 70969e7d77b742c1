"""The A4 printer (an office laser/inkjet behind CUPS): status from IPP, PDF jobs, a simulator."""
