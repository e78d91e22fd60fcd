"""Figures of the Data and model page: sample grid, class counts, training curves."""

from __future__ import annotations

import numpy as np

from generator.figures.common import new_figure, show_image


def plot_sample_grid(images: np.ndarray, labels: np.ndarray, class_names, per_class: int = 8):
    """One row per class, the first `per_class` images of that class."""
    rows = len(class_names)
    fig = new_figure(per_class * 0.9 + 1.2, rows * 0.95)
    axes = fig.subplots(rows, per_class, squeeze=False)
    for r, name in enumerate(class_names):
        chosen = np.flatnonzero(labels == r)[:per_class]
        for c in range(per_class):
            ax = axes[r, c]
            if c < len(chosen):
                show_image(ax, images[chosen[c]])
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def plot_class_counts(counts: dict[str, dict[str, int]], class_names):
    """Grouped bars: images per class in each split."""
    fig = new_figure(7, 3)
    ax = fig.subplots()
    splits = list(counts)
    width = 0.8 / max(len(splits), 1)
    x = np.arange(len(class_names))
    for i, split in enumerate(splits):
        ax.bar(x + (i - (len(splits) - 1) / 2) * width, [counts[split][n] for n in class_names],
               width, label=split)
    ax.set_xticks(x, class_names, fontsize=8)
    ax.set_ylabel("images")
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_training_curves(history: dict[str, list[float]], best_epoch: int):
    """Loss and accuracy per epoch for training and validation; the kept epoch marked."""
    fig = new_figure(8, 3)
    axes = fig.subplots(1, 2)
    epochs = np.arange(1, len(history["loss"]) + 1)
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history[metric], marker="o", ms=3, label="train")
        ax.plot(epochs, history[f"val_{metric}"], marker="o", ms=3, label="validation")
        ax.axvline(best_epoch, color="grey", ls=":", lw=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
