"""A small module to try renga on: `renga complete examples/stats.py --line 11 --character 4`."""

from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def variance(values: Sequence[float]) -> float:
    m = mean(values)
    
    return total / (len(values) - 1)
