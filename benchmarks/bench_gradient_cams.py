"""Grad-CAM, Grad-CAM++ and Layer-CAM: the product's GradientCams against tf-keras-vis, same model and images.

python benchmarks/bench_gradient_cams.py [--images 350] [--epochs 2]

A default-shaped CNN (generator.model.architectures "small", 48x48x1, 7 classes) is trained briefly on
synthetic faces (not timed); its CAM layer is explained for `--images` held-out faces, as many
as the class means of the default report (50 a class). The product computes the three maps of a
batch in one compiled call on the model's folded linear clone (see model/folding.py);
tf-keras-vis's Gradcam, GradcamPlusPlus and Layercam each take their own eager pass on its own
linear clone (64 images a call, as the product used them before). Each way runs once untimed
(tracing) on a few images, then timed. Prints both times, their ratio, the largest difference of
the maps relative to their largest value, and a JSON line.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.small_cnn import cnn_and_faces, faces_arguments, report_against_library, time_each  # noqa: E402

METHODS = ("gradcam", "gradcam++", "layercam")


def library_cams(model, layer: str):
    """tf-keras-vis's three gradient CAMs, each over all images, 64 images a call."""
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.layercam import Layercam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    linear = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True).model
    kinds = {"gradcam": Gradcam, "gradcam++": GradcamPlusPlus, "layercam": Layercam}
    visualisers = {method: kind(linear, model_modifier=None, clone=False) for method, kind in kinds.items()}

    def explain(images, targets):
        maps = {}
        for method, visualiser in visualisers.items():
            out = []
            for i in range(0, len(images), 64):
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore")
                    cams = visualiser(CategoricalScore(targets[i:i + 64].tolist()), images[i:i + 64],
                                      penultimate_layer=layer, seek_penultimate_conv_layer=False,
                                      expand_cam=False, normalize_cam=False)
                out.append(np.asarray(cams, np.float32).reshape(-1, *np.shape(cams)[-2:]))
            maps[method] = np.concatenate(out)
        return maps

    return explain


def product_cams(model, layer: str):
    """The product's GradientCams on the folded linear clone, 64 images a call, as compute_cam sends them."""
    from generator.explain.cams import GradientCams
    from generator.explain.common import linear_clone

    cams = GradientCams(linear_clone(model), layer)

    def explain(images, targets):
        return {method: np.concatenate([cams(method, images[i:i + 64], targets[i:i + 64])
                                        for i in range(0, len(images), 64)]) for method in METHODS}

    return explain


def main() -> None:
    args = faces_arguments(__doc__.splitlines()[0])

    from generator.explain.common import resolve_cam_layer

    model, images, targets = cnn_and_faces(args.images, args.epochs, args.seed)
    layer = resolve_cam_layer(model, None, "methods.cams.layer").name
    maps, seconds = time_each({"product": product_cams(model, layer), "tf_keras_vis": library_cams(model, layer)},
                              images, targets)
    difference = max(float(np.abs(maps["product"][m] - maps["tf_keras_vis"][m]).max())
                     / float(np.abs(maps["tf_keras_vis"][m]).max()) for m in METHODS)
    report_against_library("gradient_cams", f"Grad-CAM, Grad-CAM++ and Layer-CAM of {layer} for {len(images)} faces:",
                           {"product": "product GradientCams (one compiled call)",
                            "tf_keras_vis": "tf-keras-vis, one eager pass each"},
                           seconds, difference, images=len(images), layer=layer)

if __name__ == "__main__":
    main()
