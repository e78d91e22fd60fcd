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


# Luma weights (ITU-R 601), as Pillow and tf.image.rgb_to_grayscale use.
LUMA = (0.299, 0.587, 0.114)


def map_backdrop(image):
    """The image to draw under a coloured map: a colour image turned gray (luma), a gray one as it is.

    Gray under the map, rather than the colour image under the map's alpha, keeps the map's
    colours the only hues in the panel: a red object in a colour image would otherwise read as
    high attribution. The image panel beside it shows the colours.
    """
    import numpy as np

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 3:
        return image @ np.asarray(LUMA, dtype=image.dtype)
    return image


def show_image(ax, image, **kwargs) -> None:
    """Draw a (H, W), (H, W, 1) or (H, W, 3) colour image with nearest-neighbour upscaling and no axes."""
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    kwargs.setdefault("cmap", "gray")
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    ax.imshow(image, interpolation="nearest", **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
