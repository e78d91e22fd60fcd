"""Course-submission export: the report's figures as the hw4 files fig1_k, fig2_1, fig2_2, fig3_k, fig4_k (JPEG).

fig1_k saliency (image | saliency | overlay | SmoothGrad), fig3_k LIME and fig4_k
the CAM family are drawn for the sample image of class k (k = the class's index
in `classes`); fig2_1 is the filter-pattern grid and fig2_2 the feature maps of
the same layer. The steps are the report's own, so a built report's step cache
(trained model, explanations) is reused and nothing is trained twice.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from generator.config import Config
from generator.context import Paths
from generator.figures.cams import plot_cams
from generator.figures.common import displayable, figure_png
from generator.figures.filters import plot_feature_maps, plot_filter_grid
from generator.figures.lime_overlay import plot_lime
from generator.figures.saliency import plot_saliency
from generator.pipeline import compute_results, open_run, section_stages
from generator.progress import Progress
from generator.results import Results
from generator.sections.filters import GRID_COLUMNS

JPEG_QUALITY = 92


@dataclass(frozen=True)
class Export:
    """What was written: the files in order, and classes with no sample image (no fig1/3/4 for them)."""

    files: tuple[Path, ...]
    missing: tuple[str, ...]


def export_assignment(out: Path, config: Config, paths: Paths, progress: Progress,
                      model_path: Path | None = None, data_path: Path | None = None,
                      unsafe_model: bool = False) -> Export:
    """Run the steps the figures need and write them into `out` as JPEGs.

    `data_path` is a course `label,feature` CSV (data.format ntu-csv); `model_path` a
    .keras / .h5 file, or an architecture .json with its weights beside it, to explain instead of
    the configured (or trained) model.
    """
    config = assignment_config(config, model_path, data_path)
    progress.plan(section_stages("cams") + 1)   # the sections the figures need, export figures
    with open_run(config, paths, progress, unsafe_model) as run:
        results = compute_results(run, through="cams")
        with progress.stage("export figures"):
            figures = assignment_figures(results, config.figures.lime_colours)
            out.mkdir(parents=True, exist_ok=True)
            files = tuple(_write_jpeg(out / f"{name}.jpg", png) for name, png in figures.items())
    return Export(files, tuple(results.samples.chosen.missing))


def assignment_config(config: Config, model_path: Path | None, data_path: Path | None) -> Config:
    """`config` with the course's data file (ntu-csv) and the given model file, as absolute paths."""
    if data_path is not None:
        data = dataclasses.replace(config.data, format="ntu-csv", path=str(Path(data_path).resolve()),
                                   splits=None)
        config = dataclasses.replace(config, data=data)
    if model_path is not None:
        config = dataclasses.replace(config, model=dataclasses.replace(
            config.model, path=str(Path(model_path).resolve()), weights=None))
    return config


def assignment_figures(results: Results, lime_colours: str = "cvd-safe") -> dict[str, bytes]:
    """File stem -> PNG bytes, in the course's order, from a run's results (LIME in `lime_colours`)."""
    names = results.data.dataset.class_names
    samples, model = results.samples.chosen, results.model.model
    images = model.to_input(samples.split.images)
    shown = displayable(images)
    filters, cams = results.filters, results.cams
    per_class = [(names.index(name), row) for row, name in enumerate(samples.classes)]
    figures = {}
    for k, row in per_class:
        one = slice(row, row + 1)
        maps = {key: values[one] for key, values in results.saliency.maps.items()}
        figures[f"fig1_{k}"] = figure_png(plot_saliency(images[one], maps))
    if filters.layer is not None:
        figures["fig2_1"] = figure_png(plot_filter_grid(filters.patterns.patterns, GRID_COLUMNS,
                                                        filters.patterns.dead))
        figures["fig2_2"] = figure_png(plot_feature_maps(filters.feature_maps, GRID_COLUMNS))
    for k, row in per_class:
        figures[f"fig3_{k}"] = figure_png(plot_lime(shown[row:row + 1], [results.lime.own_class[row]], lime_colours))
    if cams.layer is not None:
        for k, row in per_class:
            maps = {key: values[row:row + 1] for key, values in cams.maps.items()}
            figures[f"fig4_{k}"] = figure_png(plot_cams(shown[row:row + 1], maps))
    return figures


def _write_jpeg(path: Path, png: bytes) -> Path:
    with Image.open(io.BytesIO(png)) as image:
        rgb = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    temp = path.with_name(f".{path.name}.tmp")
    rgb.save(temp, "JPEG", quality=JPEG_QUALITY)
    temp.replace(path)
    return path
