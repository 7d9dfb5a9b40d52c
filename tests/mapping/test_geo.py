"""Distance maths checked against hand-computed cases and brute-force haversine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cbpar.mapping import geo

BEIJING = (39.9042, 116.4074)
SHANGHAI = (31.2304, 121.4737)
KM_PER_DEGREE = 2 * math.pi * geo.EARTH_RADIUS_KM / 360  # 111.195 km along a meridian


def test_beijing_to_shanghai_is_about_1067_km():
    assert geo.haversine_km(*BEIJING, *SHANGHAI) == pytest.approx(1067.3, abs=0.5)


def test_london_to_paris_is_about_344_km():
    assert geo.haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.6, abs=0.5)


def test_same_point_is_zero():
    assert geo.haversine_km(*BEIJING, *BEIJING) == 0.0
    distances, index = geo.nearest([BEIJING[0]], [BEIJING[1]], [BEIJING[0]], [BEIJING[1]])
    assert distances[0] == pytest.approx(0.0, abs=1e-9)
    assert index[0] == 0


def test_one_degree_of_latitude():
    assert geo.haversine_km(42.0, 120.0, 43.0, 120.0) == pytest.approx(KM_PER_DEGREE, rel=1e-12)


def test_antimeridian_is_crossed_the_short_way():
    # 179.5°E to 179.5°W on the equator: one degree of longitude, not 359.
    assert geo.haversine_km(0.0, 179.5, 0.0, -179.5) == pytest.approx(KM_PER_DEGREE, rel=1e-9)
    distances, index = geo.nearest([0.0], [179.5], [0.0, 0.0], [-179.5, 170.0])
    assert index[0] == 0
    assert distances[0] == pytest.approx(KM_PER_DEGREE, rel=1e-9)


def test_antipodes_and_poles():
    assert geo.haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)
    assert geo.haversine_km(90, 0, 90, 123) == pytest.approx(0.0, abs=1e-9)
    distances, _ = geo.nearest([0.0], [0.0], [0.0], [180.0])
    assert distances[0] == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)


def test_chord_to_km():
    assert geo.chord_to_km(0.0) == 0.0
    assert geo.chord_to_km(2.0) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)
    assert geo.chord_to_km(math.sqrt(2)) == pytest.approx(math.pi / 2 * geo.EARTH_RADIUS_KM)


def test_nearest_matches_brute_force_haversine():
    rng = np.random.default_rng(7)
    lats = rng.uniform(41.5, 43.0, 3000)
    lons = rng.uniform(119.0, 121.0, 3000)
    flats = rng.uniform(41.5, 43.0, 60)
    flons = rng.uniform(119.0, 121.0, 60)
    km, index = geo.nearest(lats, lons, flats, flons)
    brute_km, brute_index = geo.nearest_brute_force(lats, lons, flats, flons)
    np.testing.assert_allclose(km, brute_km, rtol=0, atol=1e-6)
    # Same facility, or a tie at the same distance.
    chosen = [
        geo.haversine_km(la, lo, flats[j], flons[j])
        for la, lo, j in zip(lats, lons, index, strict=True)
    ]
    np.testing.assert_allclose(chosen, brute_km, atol=1e-6)
    assert (index == brute_index).mean() > 0.999


def test_nearest_worldwide_matches_brute_force():
    rng = np.random.default_rng(11)
    lats = np.degrees(np.arcsin(rng.uniform(-1, 1, 500)))
    lons = rng.uniform(-180, 180, 500)
    flats = np.degrees(np.arcsin(rng.uniform(-1, 1, 40)))
    flons = rng.uniform(-180, 180, 40)
    km, _ = geo.nearest(lats, lons, flats, flons)
    brute_km, _ = geo.nearest_brute_force(lats, lons, flats, flons)
    np.testing.assert_allclose(km, brute_km, atol=1e-6)


def test_no_facilities_means_everyone_is_beyond():
    km, index = geo.nearest([42.0, 42.1], [120.0, 120.0], [], [])
    assert np.isinf(km).all() and (index == -1).all()
    counts = geo.beyond(km, 5.0, [2, 1], [1, 0])
    assert counts == geo.Counts(households=2, children_under_6=3, left_behind_children=1)
    bands = geo.histogram(km)
    assert bands[-1]["to_km"] is None and bands[-1]["households"] == 2
    assert sum(b["households"] for b in bands) == 2


def test_no_households():
    km, index = geo.nearest([], [], [42.0], [120.0])
    assert km.shape == (0,) and index.shape == (0,)
    assert geo.beyond(km, 5, [], []) == geo.Counts(0, 0, 0)
    assert geo.what_if([], [], km, [(42.0, 120.0)], 5, [], []) == [geo.Counts(0, 0, 0)]


def test_beyond_is_strictly_farther_than_the_distance():
    counts = geo.beyond([4.9, 5.0, 5.1], 5.0, [1, 10, 100], [0, 0, 7])
    assert counts == geo.Counts(households=1, children_under_6=100, left_behind_children=7)


def test_beyond_by_group():
    result = geo.beyond_by_group(
        [1, 10, 20, 3], 5, ["B", "A", "B", "A"], [1, 2, 3, 4], [0, 1, 1, 0]
    )
    assert list(result) == ["A", "B"]
    assert result["A"] == (geo.Counts(2, 6, 1), geo.Counts(1, 2, 1))
    assert result["B"] == (geo.Counts(2, 4, 1), geo.Counts(1, 3, 1))


def test_histogram_bands():
    bands = geo.histogram([0.0, 0.99, 1.0, 4.0, 12.0, 31.0, math.inf], edges_km=(0, 1, 5, 30))
    assert [(b["from_km"], b["to_km"], b["households"]) for b in bands] == [
        (0.0, 1.0, 2),
        (1.0, 5.0, 2),
        (5.0, 30.0, 1),
        (30.0, None, 2),
    ]


def test_what_if_counts_only_households_newly_within():
    # Three households on the meridian; the current facility is at 42.00.
    lats, lons = [42.01, 42.20, 42.30], [120.0, 120.0, 120.0]
    current, _ = geo.nearest(lats, lons, [42.0], [120.0])
    u6, lb = [5, 1, 2], [1, 1, 3]
    near_h1, between, far_away = (42.01, 120.0), (42.25, 120.0), (10.0, 10.0)
    results = geo.what_if(lats, lons, current, [near_h1, between, far_away], 5.0, u6, lb)
    # Near household 1: it is already within 5 km, so nothing new.
    assert results[0] == geo.Counts(0, 0, 0)
    # 42.25 is 0.05° = 5.56 km from both 42.20 and 42.30: just beyond 5 km.
    assert results[1] == geo.Counts(0, 0, 0)
    assert results[2] == geo.Counts(0, 0, 0)
    closer = geo.what_if(lats, lons, current, [(42.24, 120.0)], 5.0, u6, lb)
    # 42.24 is 4.45 km from 42.20 and 6.67 km from 42.30.
    assert closer == [geo.Counts(1, 1, 1)]
    both = geo.what_if(lats, lons, current, [(42.25, 120.0)], 6.0, u6, lb)
    assert both == [geo.Counts(2, 3, 4)]


def test_what_if_with_no_facility_counts_everyone_in_reach():
    current, _ = geo.nearest([42.0, 50.0], [120.0, 120.0], [], [])
    assert geo.what_if(
        [42.0, 50.0], [120.0, 120.0], current, [(42.0, 120.0)], 1, [1, 1], [0, 1]
    ) == [geo.Counts(1, 1, 0)]
