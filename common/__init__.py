"""Rules and vocabulary every package shares, and nothing else: the translation layer and its
catalogues, ID-number rules and masking. A leaf: imports none of our other packages, so the
kiosk, the devices, the hall service and the offline cache can all use it."""
