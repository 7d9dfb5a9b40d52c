"""Distances on the Earth: great-circle distance, nearest facility, coverage and what-if siting.

Pure functions over plain numbers and NumPy arrays, no Flask and no database, so they are easy
to test against hand-computed cases. Every distance is the great-circle distance on a sphere of
radius 6371.0088 km (the IUGG mean Earth radius); on the ellipsoid the true distance differs by
at most about 0.5 %, far less than the error of a walking route against a straight line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088
METHOD = "great-circle distance on a sphere of radius 6371.0088 km (haversine)"

# Histogram bin edges in km; the last bin is open ("30 km or more", or no facility at all).
HISTOGRAM_EDGES_KM: tuple[float, ...] = (0, 1, 2, 3, 5, 10, 15, 20, 30)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def haversine_many_km(lats: ArrayLike, lons: ArrayLike, lat: float, lon: float) -> NDArray:
    """Great-circle distances in km from many points to one point."""
    p1 = np.radians(np.asarray(lats, dtype=float))
    p2 = math.radians(lat)
    dlmb = np.radians(lon - np.asarray(lons, dtype=float))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def unit_vectors(lats: ArrayLike, lons: ArrayLike) -> NDArray:
    """Points on the unit sphere (n x 3): straight-line nearness there is great-circle nearness."""
    phi = np.radians(np.asarray(lats, dtype=float))
    lmb = np.radians(np.asarray(lons, dtype=float))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)))


def chord_to_km(chord: ArrayLike) -> NDArray:
    """Arc length in km for a chord of the unit sphere (the chord subtends the same angle)."""
    c = np.clip(np.asarray(chord, dtype=float), 0.0, 2.0)
    return 2 * EARTH_RADIUS_KM * np.arcsin(c / 2)


def nearest(
    lats: ArrayLike, lons: ArrayLike, facility_lats: ArrayLike, facility_lons: ArrayLike
) -> tuple[NDArray, NDArray]:
    """For each point, the distance (km) to the nearest facility and that facility's index.

    A KD-tree on unit vectors finds the nearest facility by chord length, which orders points
    exactly as great-circle distance does; the chord is then turned into an arc length. With no
    facility at all every distance is infinite and every index is -1.
    """
    lats = np.asarray(lats, dtype=float)
    n = lats.shape[0]
    facility_lats = np.asarray(facility_lats, dtype=float)
    if facility_lats.shape[0] == 0 or n == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    tree = cKDTree(unit_vectors(facility_lats, facility_lons))
    chords, index = tree.query(unit_vectors(lats, lons), k=1)
    return chord_to_km(chords), np.asarray(index, dtype=np.int64)


def nearest_brute_force(
    lats: ArrayLike, lons: ArrayLike, facility_lats: Sequence[float], facility_lons: Sequence[float]
) -> tuple[NDArray, NDArray]:
    """The same answer as `nearest`, by haversine to every facility (for tests and the bench)."""
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    if len(facility_lats) == 0:
        return np.full(lats.shape[0], np.inf), np.full(lats.shape[0], -1, dtype=np.int64)
    all_km = np.stack(
        [
            haversine_many_km(lats, lons, flat, flon)
            for flat, flon in zip(facility_lats, facility_lons, strict=True)
        ]
    )
    return all_km.min(axis=0), all_km.argmin(axis=0).astype(np.int64)


@dataclass(frozen=True)
class Counts:
    """How many households, children under 6 and left-behind children a set of rows holds."""

    households: int
    children_under_6: int
    left_behind_children: int


def _counts(mask: NDArray, children_under_6: NDArray, left_behind: NDArray) -> Counts:
    return Counts(
        households=int(mask.sum()),
        children_under_6=int(children_under_6[mask].sum()),
        left_behind_children=int(left_behind[mask].sum()),
    )


def beyond(
    distances_km: ArrayLike,
    within_km: float,
    children_under_6: ArrayLike,
    left_behind_children: ArrayLike,
) -> Counts:
    """Counts for the households farther than `within_km` (no facility at all counts as beyond)."""
    d = np.asarray(distances_km, dtype=float)
    return _counts(
        d > within_km,
        np.asarray(children_under_6, dtype=np.int64),
        np.asarray(left_behind_children, dtype=np.int64),
    )


def beyond_by_group(
    distances_km: ArrayLike,
    within_km: float,
    groups: ArrayLike,
    children_under_6: ArrayLike,
    left_behind_children: ArrayLike,
) -> dict[Any, tuple[Counts, Counts]]:
    """Per group (e.g. village id): (all households, those beyond `within_km`), sorted by group."""
    d = np.asarray(distances_km, dtype=float)
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    inverse = inverse.ravel()
    far = d > within_km
    k = len(labels)

    def sums(weights: NDArray | None, mask: NDArray | None = None) -> NDArray:
        w = np.ones(d.shape[0]) if weights is None else np.asarray(weights, dtype=float)
        if mask is not None:
            w = np.where(mask, w, 0)
        return np.rint(np.bincount(inverse, weights=w, minlength=k)).astype(np.int64)

    u6 = np.asarray(children_under_6, dtype=float)
    lb = np.asarray(left_behind_children, dtype=float)
    totals = (sums(None), sums(u6), sums(lb))
    beyond_sums = (sums(None, far), sums(u6, far), sums(lb, far))
    return {
        label.item() if hasattr(label, "item") else label: (
            Counts(*(int(t[i]) for t in totals)),
            Counts(*(int(b[i]) for b in beyond_sums)),
        )
        for i, label in enumerate(labels)
    }


def histogram(
    distances_km: ArrayLike, edges_km: Sequence[float] = HISTOGRAM_EDGES_KM
) -> list[dict[str, float | int | None]]:
    """Households per distance band [from, to); the last band is open and holds "no facility"."""
    d = np.asarray(distances_km, dtype=float)
    bounds = [*edges_km, math.inf]
    bands: list[dict[str, float | int | None]] = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        count = int(((d >= low) & (d < high)).sum()) if high != math.inf else int((d >= low).sum())
        bands.append(
            {
                "from_km": float(low),
                "to_km": None if high == math.inf else float(high),
                "households": count,
            }
        )
    return bands


def what_if(
    lats: ArrayLike,
    lons: ArrayLike,
    current_km: ArrayLike,
    candidates: Sequence[tuple[float, float]],
    within_km: float,
    children_under_6: ArrayLike,
    left_behind_children: ArrayLike,
) -> list[Counts]:
    """For each candidate site alone: who is beyond `within_km` today and would be within it."""
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    far = np.asarray(current_km, dtype=float) > within_km
    u6 = np.asarray(children_under_6, dtype=np.int64)
    lb = np.asarray(left_behind_children, dtype=np.int64)
    results = []
    for lat, lon in candidates:
        if far.any():
            close = haversine_many_km(lats[far], lons[far], lat, lon) <= within_km
            mask = np.zeros_like(far)
            mask[np.flatnonzero(far)[close]] = True
        else:
            mask = far
        results.append(_counts(mask, u6, lb))
    return results
