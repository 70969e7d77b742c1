"""Where the tests find libfaketime (Debian's ``faketime`` package) to move a real process's clock.

The multi-threaded build (``libfaketimeMT.so.1``) is the one to preload: with
``FAKETIME_NO_CACHE=1`` the plain ``libfaketime.so.1`` of 0.9.10 parses the timestamp file into one
static buffer shared by all threads, and a thread reading the time while another re-reads the file
now and then gets the real time (measured: 87 real-time readings in 800,000 from four threads; the
MT build: 0). A hall service is multi-threaded, so one such reading looked like a step to today's
date that the monotonic clock (faked too) agreed with: the month simulation's hall rolled its day
over and cancelled the tickets being served (upstream: wolfcw/libfaketime#547)."""

from __future__ import annotations

import glob
import shutil

LIBFAKETIME = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))), "")
HAVE_FAKETIME = bool(LIBFAKETIME) and shutil.which("faketime") is not None
