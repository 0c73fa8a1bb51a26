"""How a context becomes a Messages API request."""
