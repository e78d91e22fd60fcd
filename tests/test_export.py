"""Course-submission export: the hw4 JPEGs, from the tiny report's cached steps or a course CSV and model file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.config import load_config
from generator.errors import UserError
from generator.export import assignment_config, export_assignment
from generator.progress import Progress

CLASSES = 7
PER_CLASS = [f"fig{section}_{k}" for section in (1, 3, 4) for k in range(CLASSES)]
EXPECTED = sorted(PER_CLASS + ["fig2_1", "fig2_2"])
# Few steps and samples: the course-CSV test runs every explanation on a model it has not seen cached.
QUICK = ["methods.filters.steps=3", "methods.lime.num_samples=40", "methods.saliency.smooth_samples=2",
         "methods.cams.class_mean_images=2"]


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.mode == "RGB", path
        return np.asarray(image, dtype=np.float32)


@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory):
    """The tiny report exported with its own config: every step comes from the step cache."""
    progress = Progress(quiet=True)
    out = tmp_path_factory.mktemp("hw4")
    result = export_assignment(out, tiny_run.config, tiny_run.paths, progress)
    return out, result, progress.ledger()


def test_writes_every_course_figure_as_a_jpeg(exported):
    out, result, _ = exported
    assert sorted(p.stem for p in out.iterdir()) == EXPECTED
    assert [p.name for p in result.files] == [f"{name}.jpg" for name in
                                              [*PER_CLASS[:7], "fig2_1", "fig2_2", *PER_CLASS[7:]]]
    assert result.missing == ()
    for path in result.files:
        height, width, _ = _pixels(path).shape
        assert 150 <= height <= 2500 and 150 <= width <= 2500, (path.name, width, height)
        assert 5_000 < path.stat().st_size < 2_000_000, path.name


def test_per_class_figures_are_one_row_each_and_differ_between_classes(exported):
    out, _, _ = exported
    for section in (1, 3, 4):
        figures = [_pixels(out / f"fig{section}_{k}.jpg") for k in range(CLASSES)]
        assert len({f.shape for f in figures}) == 1, section      # same layout for every class
        height, width, _ = figures[0].shape
        assert width > 2.5 * height, (section, width, height)     # one row of panels
        for k in range(1, CLASSES):
            assert np.mean(np.abs(figures[k] - figures[0])) > 2.0, (section, k)


def test_filter_grid_and_feature_maps_share_one_grid(exported):
    out, _, _ = exported
    patterns, maps = _pixels(out / "fig2_1.jpg"), _pixels(out / "fig2_2.jpg")
    assert patterns.shape == maps.shape
    assert patterns.shape[0] > 300 and patterns.shape[1] > 600
    gray = np.abs(patterns[..., 0] - patterns[..., 1]).mean() + np.abs(patterns[..., 1] - patterns[..., 2]).mean()
    colour = np.abs(maps[..., 0] - maps[..., 1]).mean() + np.abs(maps[..., 1] - maps[..., 2]).mean()
    assert gray < 3 < colour  # patterns drawn in gray, feature maps in viridis


def test_nothing_is_trained_or_recomputed_when_the_report_was_built(exported):
    _, _, ledger = exported
    stages = {record["name"]: record for record in ledger}
    assert "train model" in stages and "export figures" in stages
    for record in stages.values():
        assert record["model_images"] == 0 and record["cache_misses"] == 0, record


def test_course_csv_and_model_file_replace_the_configured_data_and_model(tiny_run):
    config = tiny_run.config
    changed = assignment_config(config, Path("model.h5"), Path("train.csv"))
    assert changed.data.format == "ntu-csv" and changed.data.path == str(Path("train.csv").resolve())
    assert changed.model.path == str(Path("model.h5").resolve())
    assert Path(changed.data.path).is_absolute() and config.data.format == "synthetic"
    assert assignment_config(config, None, None) == config


@pytest.mark.slow
def test_course_csv_with_a_model_file_exports_without_training(tiny_run, tmp_path):
    """The hw4.sh entry point: a `label,feature` train.csv and the student's model file."""
    data = tiny_run.results.data.dataset
    images = np.concatenate([data.train.images, data.validation.images, data.test.images])
    labels = np.concatenate([data.train.labels, data.validation.labels, data.test.labels])
    csv = tmp_path / "train.csv"
    pixels = np.round(images[..., 0] * 255).astype(np.uint8).reshape(len(images), -1)
    csv.write_text("label,feature\n" + "".join(f"{label},{' '.join(map(str, row))}\n"
                                               for label, row in zip(labels, pixels)))
    model_file = tmp_path / "model.keras"
    tiny_run.results.model.model.keras.save(model_file)
    config = dataclasses.replace(load_config(tiny_run.paths.root / "report.yml", QUICK),
                                 cache=str(tmp_path / "cache"))
    progress = Progress(quiet=True)
    result = export_assignment(tmp_path / "out", config, tiny_run.paths, progress,
                               model_path=model_file, data_path=csv)
    assert sorted(p.stem for p in result.files) == EXPECTED and result.missing == ()
    stages = [record["name"] for record in progress.ledger()]
    assert "load model" in stages and "train model" not in stages


def test_the_course_csv_is_what_gets_read(tiny_run, tmp_path):
    csv = tmp_path / "train.csv"
    csv.write_text("label,feature\n3," + " ".join(["128"] * 2304) + "\n9," + " ".join(["0"] * 2304) + "\n")
    with pytest.raises(UserError) as error:
        export_assignment(tmp_path / "out", tiny_run.config, tiny_run.paths, Progress(quiet=True), data_path=csv)
    assert error.value.where == f"{csv.resolve()}:3" and "9" in error.value.what
    assert not (tmp_path / "out").exists()
