"""The inline completion pipeline: context -> prompt -> stream -> postprocess."""
