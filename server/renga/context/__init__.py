"""What the model sees for a cursor: sections of code chosen under a token budget."""
