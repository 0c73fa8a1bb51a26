"""A module to test the Python queries."""

from __future__ import annotations

import os
from dataclasses import dataclass

LIMIT = 10


@dataclass
class Point:
    """A point in the plane."""

    x: float = 0.0
    y = 0.0

    def norm(self) -> float:
        """Its length."""
        return (self.x**2 + self.y**2) ** 0.5


def distance(a: Point, b: Point) -> float:
    # no docstring here
    return Point(a.x - b.x, a.y - b.y).norm() + len(os.sep)


def scaled(points: list[Point], factor: float = LIMIT) -> list[Point]:
    result = [Point(p.x * factor, y=p.y) for p in points]
    return sorted(result, key=Point.norm)
