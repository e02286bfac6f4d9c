"""Settings for the whole suite: property tests check behaviour, never speed (no Hypothesis deadline)."""
from hypothesis import settings

settings.register_profile("behaviour", deadline=None)
settings.load_profile("behaviour")
