"""Score-CAM: the product's compiled ScoreCam against tf-keras-vis's Scorecam, same model and images.

python benchmarks/bench_scorecam.py [--images 350] [--epochs 2]

A default-shaped CNN (generator.model.architectures "small", 48x48x1, 7 classes) is trained briefly on
synthetic faces (not timed); its last convolution layer (64 channels) is explained for
`--images` held-out faces, as many as the class means of the default report (50 a class).
Both ways take the same linear-output clone and return raw maps at the layer's resolution
(after ReLU, before scaling); each is run once untimed (tracing) on a few images, then timed.
Prints both times, their ratio, the largest difference of the maps relative to their
largest value, and a JSON line.
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


def library_scorecam(linear, layer: str):
    """tf-keras-vis's Scorecam as the product used it before: 64 images a call, predict batches of 256."""
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

    visualiser = Scorecam(linear, model_modifier=None, clone=False)

    def explain(images, targets):
        out = []
        for i in range(0, len(images), 64):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore")
                cams = visualiser(CategoricalScore(targets[i:i + 64].tolist()), images[i:i + 64],
                                  penultimate_layer=layer, seek_penultimate_conv_layer=False,
                                  expand_cam=False, normalize_cam=False, batch_size=256)
            out.append(np.asarray(cams, np.float32))
        return np.concatenate(out)

    return explain


def main() -> None:
    args = faces_arguments(__doc__.splitlines()[0])

    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    from generator.explain.cams import ScoreCam
    from generator.explain.common import resolve_conv_layer

    model, images, targets = cnn_and_faces(args.images, args.epochs, args.seed)
    layer = resolve_conv_layer(model, None, "methods.cams.layer")
    linear = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True).model
    linear.predict = lambda x, **kw: type(linear).predict(linear, x, **{**kw, "verbose": 0})
    maps, seconds = time_each({"product": ScoreCam(linear, layer), "tf_keras_vis": library_scorecam(linear, layer)},
                              images, targets)
    scale = float(np.abs(maps["tf_keras_vis"]).max())
    difference = float(np.abs(maps["product"] - maps["tf_keras_vis"]).max()) / scale
    channels = int(model.get_layer(layer).output.shape[-1])
    report_against_library("scorecam", f"Score-CAM of {layer} ({channels} channels) for {len(images)} faces, "
                                       f"{len(images) * channels} masked images:",
                           {"product": "product ScoreCam (compiled)", "tf_keras_vis": "tf-keras-vis Scorecam"},
                           seconds, difference, images=len(images), channels=channels)

if __name__ == "__main__":
    main()
