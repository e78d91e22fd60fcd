"""Shared drawing helpers: a headless Figure, deterministic PNG saving, readable upscaling."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

DPI = 100


def new_figure(width: float, height: float) -> Figure:
    """A Figure not tied to any GUI or global pyplot state."""
    return Figure(figsize=(width, height), dpi=DPI)


def figure_png(fig: Figure) -> bytes:
    """PNG bytes with no timestamp or version metadata, so equal figures give equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight")
    return buffer.getvalue()


def show_image(ax, image, **kwargs) -> None:
    """Draw a (H, W) or (H, W, 1) image with nearest-neighbour upscaling and no axes."""
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    kwargs.setdefault("cmap", "gray")
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    ax.imshow(image, interpolation="nearest", **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
