"""The report's default CNN, briefly trained on synthetic faces: the model the benchmarks explain.

Not a benchmark itself (`python -m benchmarks` runs only bench_*.py).
"""

from __future__ import annotations


def briefly_trained_cnn(per_class: int, epochs: int, seed: int):
    """x CNN (48x48x1, 7 classes) after `epochs` epochs of Adam (1e-3,
    batch 32) on `per_class` synthetic faces a class, all seeded; returns (model, faces, history)."""
    import keras

    from generator.data.synthetic import make_synthetic_faces
    from generator.model.architectures import build_model

    keras.utils.set_random_seed(seed)
    faces = make_synthetic_faces(per_class=per_class, seed=seed)
    model = build_model("small", faces.images.shape[1:], 7)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    fit = model.fit(faces.images, faces.labels, epochs=epochs, batch_size=32, verbose=0)
    return model, faces, fit.history
