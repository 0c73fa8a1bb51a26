"""Model access. ``client`` is the only module in renga that imports the anthropic SDK; the rest
of the package sees plain requests, text streams, :class:`ModelError` and :class:`Usage`."""

from renga.model.catalog import Usage, accepts_prefill, price_of
from renga.model.errors import ModelError

__all__ = ["ModelError", "Usage", "accepts_prefill", "price_of"]
