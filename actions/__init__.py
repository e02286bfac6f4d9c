"""Custom actions of the reissue assistant (rasa_sdk imports every submodule of this package)."""
