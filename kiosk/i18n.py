"""The kiosk's name for the translation layer, which lives in :mod:`common.i18n` (gettext
catalogues shared by every role, the phone pages and paper)."""

from common.i18n import LANGUAGES, Translator, catalogue, translate

strings = catalogue  # the kiosk's older name of the key → text table of one language

__all__ = ["LANGUAGES", "Translator", "catalogue", "strings", "translate"]
