"""The synthetic data's design: FER2013's class proportions, confusable pairs that share their cue
and differ elsewhere, seeded intensity, drift and label noise."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from generator.data.synthetic import make_synthetic_faces, render_part_ink, sample_face_params
from generator.data.synthetic.design import DESIGNED_CONFUSIONS, EASY, FER2013_COUNTS, FaceDesign
from generator.vocabulary import FER2013_CLASSES

FER = FaceDesign.resolve("fer2013")


@pytest.fixture(scope="module")
def faces():
    return make_synthetic_faces(200, seed=0, design=FER)


def test_classes_come_in_fer2013_proportions(faces):
    shares = np.bincount(faces.truth.drawn, minlength=7) / len(faces.labels)
    expected = np.array([FER2013_COUNTS[name] for name in FER2013_CLASSES], float)
    np.testing.assert_allclose(shares, expected / expected.sum(), atol=0.002)
    labelled = np.bincount(faces.labels, minlength=7) / len(faces.labels)
    assert labelled[FER2013_CLASSES.index("Disgust")] <= 0.03          # the rarest, even after label noise
    assert labelled.argmax() == FER2013_CLASSES.index("Happy")
    assert len(faces.labels) == pytest.approx(200 * 7, abs=7)


def test_label_noise_moves_the_configured_share_to_other_classes(faces):
    moved = faces.labels != faces.truth.drawn
    assert moved.mean() == pytest.approx(FER.label_noise, abs=0.015)
    clean = make_synthetic_faces(200, seed=0, design=dataclasses.replace(FER, label_noise=0.0))
    np.testing.assert_array_equal(clean.labels, clean.truth.drawn)
    np.testing.assert_array_equal(clean.images, faces.images)      # noise changes labels, not faces


def test_intensity_drift_and_noise_are_the_same_for_a_seed_and_follow_the_settings(faces):
    again = make_synthetic_faces(200, seed=0, design=FER)
    for field in ("drawn", "intensity", "drift_class", "drift"):
        np.testing.assert_array_equal(getattr(again.truth, field), getattr(faces.truth, field))
    np.testing.assert_array_equal(again.labels, faces.labels)
    other = make_synthetic_faces(200, seed=1, design=FER)
    assert not np.array_equal(other.labels != other.truth.drawn, faces.labels != faces.truth.drawn)
    low, high = FER.intensity
    assert low <= faces.truth.intensity.min() and faces.truth.intensity.max() <= high
    strong = make_synthetic_faces(200, seed=0, design=dataclasses.replace(FER, intensity=(0.9, 1.0)))
    assert strong.truth.intensity.min() >= 0.9


def test_ambiguous_faces_drift_only_as_designed(faces):
    drifted = faces.truth.drift_class >= 0
    pairs = {(FER2013_CLASSES[a], FER2013_CLASSES[b])
             for a, b in zip(faces.truth.drawn[drifted], faces.truth.drift_class[drifted])}
    assert pairs == {pair.classes for pair in DESIGNED_CONFUSIONS}
    drifting = np.isin(faces.truth.drawn, [FER2013_CLASSES.index(p.classes[0]) for p in DESIGNED_CONFUSIONS])
    assert drifted[drifting].mean() == pytest.approx(FER.ambiguity, abs=0.06)
    assert ((faces.truth.drift[drifted] >= 0.2) & (faces.truth.drift[drifted] <= 0.6)).all()
    chosen = dataclasses.replace(FER, drifts=(("Angry", ("Happy",)),))
    only = make_synthetic_faces(200, seed=0, design=chosen).truth
    assert set(only.drift_class[only.drift_class >= 0]) == {FER2013_CLASSES.index("Happy")}
    assert set(only.drawn[only.drift_class >= 0]) == {FER2013_CLASSES.index("Angry")}
    assert not (make_synthetic_faces(50, seed=0, design=EASY).truth.drift_class >= 0).any()


@pytest.mark.parametrize("pair", DESIGNED_CONFUSIONS, ids=lambda p: "-".join(p.classes))
def test_each_designed_pair_shares_its_cue_and_differs_where_designed(pair):
    """Drawn at full strength on the same faces, the pair's shared regions hold nearly the same ink;
    each region that tells them apart differs at least twice as much."""
    params = sample_face_params(60, np.random.default_rng(5))
    params = dataclasses.replace(params, intensity=np.ones(60, np.float32), jitter=np.zeros_like(params.jitter))
    first, second = (render_part_ink(params, np.full(60, FER2013_CLASSES.index(name))) for name in pair.classes)

    def difference(region):
        return np.abs(first[region] - second[region]).sum() / (first[region].sum() + second[region].sum())

    for shared in pair.shared:
        assert difference(shared) < 0.25, (shared, difference(shared))
        for distinct in pair.distinct:
            assert difference(distinct) >= 2 * difference(shared), (shared, distinct)
