"""Section 2: filter patterns of one convolution layer and its feature maps for one sample image."""

from __future__ import annotations

import numpy as np

from generator.analysis.feature_response import describe_feature_response, describe_orientation_match
from generator.analysis.filter_patterns import describe_filter_groups
from generator.context import Run
from generator.errors import UserError
from generator.explain.common import conv_layer_names, resolve_conv_layer
from generator.explain.feature_maps import compute_feature_maps
from generator.explain.filters import compute_filter_patterns
from generator.figures.filters import plot_feature_maps, plot_filter_grid
from generator.results import FiltersResult, Results
from generator.sections.regions import region_maps_for

FILTERS_STEP_VERSION = 1
GRID_COLUMNS = 8


def run_filters(run: Run, results: Results) -> FiltersResult:
    model, samples = results.model.model, results.samples.chosen
    settings = run.config.methods.filters
    convs = conv_layer_names(model.keras)
    if not convs:
        run.progress.skip("filter patterns", "the model has no convolution layer")
        return FiltersResult(None, None, None, {"available": False, "conv_layers": []})
    layer = resolve_conv_layer(model.keras, settings.layer, "methods.filters.layer", default_index=2)
    index = _feature_image_index(samples, settings.image)
    image = model.to_input(samples.split.images[index:index + 1])[0]
    with run.progress.stage("filter patterns") as record:
        low, high = model.input_value(0.0), model.input_value(1.0)   # black and white: the ascent's range
        with run.progress.steps(settings.steps, "ascent step") as step:
            patterns = run.cached(
                "filters", FILTERS_STEP_VERSION, (model.model_id, layer, settings.steps, run.config.seed, low, high),
                lambda: compute_filter_patterns(model.keras, layer, settings.steps, run.config.seed, (low, high),
                                                on_step=step),
                record)
        maps = run.cached("feature_maps", FILTERS_STEP_VERSION, (model.model_id, layer, image),
                          lambda: compute_feature_maps(model.keras, layer, image), record)
        figures = {
            "patterns": run.figure("filter_patterns", (patterns.patterns, patterns.dead), lambda: plot_filter_grid(
                patterns.patterns, GRID_COLUMNS, patterns.dead), record=record),
            "feature_maps": run.figure("feature_maps", maps, lambda: plot_feature_maps(maps, GRID_COLUMNS),
                                       record=record),
        }
    gain = patterns.final_activation - patterns.start_activation
    feature_regions = region_maps_for(results.data.regions, samples.split.take(np.array([index])), image.shape[:2])[0]
    groups = describe_filter_groups(patterns.patterns, patterns.dead, GRID_COLUMNS, high - low)
    return FiltersResult(layer, patterns, maps, {
        "available": True,
        "conv_layers": convs,
        "layer": layer,
        "layer_number": convs.index(layer) + 1,
        "filters": len(patterns.patterns),
        "grid_columns": GRID_COLUMNS,
        "steps": settings.steps,
        "dead": [int(i) for i in np.flatnonzero(patterns.dead)],
        "mean_start_activation": round(float(np.mean(patterns.start_activation)), 4),
        "mean_final_activation": round(float(np.mean(patterns.final_activation)), 4),
        "raised": int(np.sum(gain > 0)),
        "feature_image": {"class": samples.classes[index], "row": int(samples.split.rows[index])},
        "groups": groups,
        "response": describe_feature_response(maps, feature_regions, results.data.regions.names, top=5,
                                                columns=GRID_COLUMNS),
        "orientation_match": describe_orientation_match(maps, samples.split.images[index], groups["patterns"],
                                                        GRID_COLUMNS),
        "figures": figures,
    })


def _feature_image_index(samples, class_name: str | None) -> int:
    if class_name is None:
        return 0
    if class_name not in samples.classes:
        raise UserError("methods.filters.image", f"no sample image of class {class_name!r}",
                        "choose one of: " + ", ".join(samples.classes))
    return samples.classes.index(class_name)
