"""Region schemes (face regions, a neutral 3x3 grid, or none) and where attribution mass falls among them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from generator.vocabulary import GRID_REGIONS, OUTSIDE, REGIONS, WHOLE_IMAGE

FACE_REGIONS = REGIONS[:OUTSIDE]


def _on48(x0: int, y0: int, x1: int, y1: int) -> tuple[float, float, float, float]:
    """A box drawn in pixels of the 48 x 48 grid, as fractions of the image."""
    return (x0 / 48, y0 / 48, x1 / 48, y1 / 48)


# Regions of an aligned, centred 48 x 48 face (FER2013), fitted over the dataset's mean face.
# Each box is [x0, y0, x1, y1]: fractions of the width (x, from the left) and height (y, from
# the top). A pixel belongs to a box when its centre does. Where boxes overlap, the smaller box
# wins (the nose column cuts through the eye and cheek bands, the mouth through the cheeks);
# equal areas fall back to REGIONS order, later first. Pixels in no box are `outside`.
DEFAULT_TEMPLATE: dict[str, tuple[float, float, float, float]] = {
    "forehead": _on48(8, 0, 40, 10),
    "brows": _on48(6, 10, 42, 14),
    "eyes": _on48(6, 14, 42, 21),
    "nose": _on48(19, 14, 29, 32),
    "cheeks": _on48(4, 21, 44, 41),
    "mouth": _on48(13, 33, 35, 42),
    "chin": _on48(10, 42, 38, 48),
}


def template_region_map(size: int | tuple[int, int] = (48, 48), boxes: dict | None = None) -> np.ndarray:
    """(H, W) uint8 region indices (vocabulary.REGIONS) of the face template at `size` (H, W) or H.

    `boxes` (the config key `regions`, checked there) replaces the default box of each region
    it names; the other regions keep theirs. See DEFAULT_TEMPLATE for the box convention.
    """
    height, width = (int(size), int(size)) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    template = {**DEFAULT_TEMPLATE, **{name: tuple(box) for name, box in (boxes or {}).items()}}
    ys = (np.arange(height) + 0.5) / height
    xs = (np.arange(width) + 0.5) / width
    out = np.full((height, width), OUTSIDE, dtype=np.uint8)
    # Largest first so smaller boxes are painted over it; ties: later in REGIONS wins.
    order = sorted(template, key=lambda n: (-_area(template[n]), REGIONS.index(n)))
    for name in order:
        x0, y0, x1, y1 = template[name]
        rows = (ys >= y0) & (ys < y1)
        cols = (xs >= x0) & (xs < x1)
        out[np.ix_(rows, cols)] = REGIONS.index(name)
    return out


def _area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def grid_region_map(size: tuple[int, int]) -> np.ndarray:
    """(H, W) uint8 indices into GRID_REGIONS: the image cut into 3x3 near-equal cells (a pixel
    belongs to the cell holding its centre, so the cells are symmetric about the middle)."""
    rows = ((np.arange(size[0]) + 0.5) * 3 / size[0]).astype(int)
    cols = ((np.arange(size[1]) + 0.5) * 3 / size[1]).astype(int)
    return (rows[:, None] * 3 + cols[None, :]).astype(np.uint8)


@dataclass(frozen=True)
class RegionScheme:
    """The regions that claims about where a map falls are made in.

    `kind`: face (REGIONS, with a background), grid (GRID_REGIONS) or none (one region, the
    whole image: no claims). `background`: the region outside the subject, where it has one.
    `boxes`: the configured face boxes replacing built-in ones.
    """

    kind: str
    boxes: tuple = ()

    @property
    def names(self) -> tuple[str, ...]:
        return {"face": REGIONS, "grid": GRID_REGIONS, "none": WHOLE_IMAGE}[self.kind]

    @property
    def background(self) -> str | None:
        return "outside" if self.kind == "face" else None

    def template(self, size: tuple[int, int]) -> np.ndarray:
        """(H, W) uint8 region indices at `size`: the face template, the grid, or all zeros."""
        if self.kind == "face":
            return template_region_map(size, dict(self.boxes))
        if self.kind == "grid":
            return grid_region_map(size)
        return np.zeros(size, np.uint8)

    def subject_mask(self, size: tuple[int, int]) -> np.ndarray | None:
        """Where the subject is (the face template without its background); None where unknown."""
        return self.template(size) != OUTSIDE if self.kind == "face" else None


def resolve_region_scheme(setting, subject: str) -> RegionScheme:
    """The `regions` setting (face, grid, none, face boxes, or absent) as a scheme; absent means
    face regions for faces (subject expressions) and the grid for anything else."""
    if isinstance(setting, dict):
        return RegionScheme("face", tuple(sorted((k, tuple(v)) for k, v in setting.items())))
    return RegionScheme(setting or ("face" if subject == "expressions" else "grid"))


# --- attribution shares -----------------------------------------------------------------------

# A region is named as where a map falls only when it is over-represented for its area: it
# holds at least MIN_LIFT times the share of the map's positive mass that its share of the
# pixels predicts (a flat map has lift 1 everywhere), and at least MIN_SHARE of the mass, so
# a region of a few pixels cannot win on a handful of bright ones.
MIN_LIFT = 1.2
MIN_SHARE = 0.10
# Named regions whose lifts are within this ratio of the first's are tied with it; the first
# leads "clearly" from CLEAR_LEAD on, "slightly" in between.
TIE_RATIO = 1.1
CLEAR_LEAD = 1.5


def region_rule() -> dict:
    """The rule that names a region, for the pages to state."""
    return {"min_lift": MIN_LIFT, "min_share": MIN_SHARE, "tie_margin": round(TIE_RATIO - 1, 4),
            "clear_lead": CLEAR_LEAD}


@dataclass(frozen=True)
class RegionFacts:
    """Where a map's (or a group's mean) positive attribution mass lies among the regions.

    `shares`: each region's share of the positive mass (they sum to 1; all 0 without mass).
    `area`: each region's share of the pixels. `lift`: share / area, 1 being what a flat map
    gives (None for a region absent from the image). `ranking`: the named regions (see
    MIN_LIFT, MIN_SHARE), highest lift first, at most three; `top` the first (None: nothing is
    over-represented); `tied`: the other named regions within TIE_RATIO of the top's lift.
    `lead`: the top's lift over the next region's (the next named one, else the highest other
    lift); `reliance` puts it in words: "clear", "slight" or "even" (a tie). `denser`: the
    regions with a higher lift than the top that hold under MIN_SHARE of the mass (too little
    to be named), region -> lift, highest first. `images`: maps with positive mass that went
    in. Floats are rounded to 4 decimals.
    """

    shares: dict[str, float]
    area: dict[str, float]
    lift: dict[str, float | None]
    ranking: list[str]
    top: str | None
    tied: list[str]
    lead: float | None
    reliance: str | None
    denser: dict[str, float]
    images: int

    def as_dict(self) -> dict:
        return asdict(self)


def describe_attribution(maps, region_maps, names: tuple[str, ...]) -> list[RegionFacts]:
    """Per image, the regions holding its positive attribution mass.

    `maps` (N, H, W) (or (N, H, W, 1)); negative values are ignored. `region_maps` (N, H, W)
    uint8 indices into `names`, or one (H, W) map (a template) used for every image.
    """
    mass, pixels = _region_sums(maps, region_maps, len(names))
    return [_facts(m[None], p[None], names) for m, p in zip(mass, pixels)]


def describe_attribution_mean(maps, region_maps, names: tuple[str, ...]) -> RegionFacts:
    """The regions of a group of images (one class): the mean of their per-image shares over
    the maps with positive mass, against the mean area of each region."""
    mass, pixels = _region_sums(maps, region_maps, len(names))
    return _facts(mass, pixels, names)


def summarise_classes(by_class: dict, names: tuple[str, ...]) -> dict:
    """Over the classes' region facts ({class: RegionFacts.as_dict()}): the same facts for the
    mean of their shares and areas, and `classes_by_top`: region -> classes it is the top of."""
    described = [facts for facts in by_class.values() if facts["images"]]
    if not described:
        return {**_facts(np.zeros((0, len(names))), np.ones((1, len(names))), names).as_dict(),
                "classes_by_top": {}}
    share = np.mean([[f["shares"][r] for r in names] for f in described], axis=0)
    area = np.mean([[f["area"][r] for r in names] for f in described], axis=0)
    tops = [f["top"] for f in described if f["top"] is not None]
    summary = _from_vectors(share, area, len(described), names).as_dict()
    return {**summary, "classes_by_top": {r: tops.count(r) for r in names if r in tops}}


def _region_sums(maps, region_maps, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, R) positive attribution mass and (N, R) pixel count of each region in each image."""
    maps = _as_stack(maps, "maps")
    regions = np.asarray(region_maps)
    if regions.ndim == 2:
        regions = np.broadcast_to(regions, maps.shape)
    if regions.shape != maps.shape:
        raise ValueError(f"region maps {regions.shape} do not match attribution maps {maps.shape}")
    if regions.size and regions.max() >= count:
        raise ValueError(f"region index {int(regions.max())} is not one of the {count} regions")
    n = len(maps)
    index = (np.arange(n)[:, None, None] * count + regions).reshape(-1)
    positive = np.maximum(maps, 0).reshape(-1)
    mass = np.bincount(index, weights=positive, minlength=n * count).reshape(n, count)
    pixels = np.bincount(index, minlength=n * count).reshape(n, count)
    return mass, pixels


def _as_stack(maps, name: str) -> np.ndarray:
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim == 4 and maps.shape[-1] == 1:
        maps = maps[..., 0]
    if maps.ndim != 3:
        raise ValueError(f"{name} must be (N, H, W), got shape {maps.shape}")
    return np.nan_to_num(maps, nan=0.0, posinf=0.0, neginf=0.0)


def _facts(mass: np.ndarray, pixels: np.ndarray, names: tuple[str, ...]) -> RegionFacts:
    """Mean shares over the rows of `mass` that have positive mass, against the mean area."""
    totals = mass.sum(axis=1)
    used = totals > 0
    share = (mass[used] / totals[used, None]).mean(axis=0) if used.any() else np.zeros(len(names))
    area = (pixels / pixels.sum(axis=1, keepdims=True)).mean(axis=0)
    return _from_vectors(share, area, int(used.sum()), names)


def _from_vectors(share: np.ndarray, area: np.ndarray, images: int, names: tuple[str, ...]) -> RegionFacts:
    present = area > 0
    lift = np.divide(share, area, out=np.zeros_like(share), where=present)
    named = [i for i in np.argsort(-lift, kind="stable")
             if present[i] and lift[i] >= MIN_LIFT and share[i] >= MIN_SHARE][:3]
    top = named[0] if named else None
    tied = [i for i in named[1:] if lift[i] * TIE_RATIO >= lift[top]]
    lead = _lead(lift, present, named)
    return RegionFacts(
        shares={n: round(float(s), 4) for n, s in zip(names, share)},
        area={n: round(float(a), 4) for n, a in zip(names, area)},
        lift={n: round(float(v), 4) if p else None for n, v, p in zip(names, lift, present)},
        ranking=[names[i] for i in named],
        top=None if top is None else names[top],
        tied=[names[i] for i in tied],
        lead=lead,
        reliance=None if lead is None else "clear" if lead >= CLEAR_LEAD else "slight" if lead >= TIE_RATIO
        else "even",
        denser={} if top is None else {names[i]: round(float(lift[i]), 4) for i in np.argsort(-lift, kind="stable")
                                       if present[i] and lift[i] > lift[top]},
        images=images,
    )


def _lead(lift: np.ndarray, present: np.ndarray, named: list) -> float | None:
    """The top region's lift over the next named region's, else over the highest other lift."""
    if not named:
        return None
    others = [i for i in np.argsort(-lift, kind="stable") if present[i] and i != named[0]]
    runner = named[1] if len(named) > 1 else (others[0] if others else None)
    if runner is None or lift[runner] <= 0:
        return None
    return round(float(lift[named[0]] / lift[runner]), 4)


# --- LIME superpixels ---------------------------------------------------------------------------

def describe_lime_regions(segments, weights, region_map, names: tuple[str, ...], top: int = 3) -> dict:
    """LIME's strongest superpixels for and against the class, by weight, and where they lie.

    `segments` (H, W) superpixel ids 0..S-1, `weights` (S,), `region_map` (H, W) indices into
    `names`. For "supporting" (the `top` largest positive weights) and "opposing" (the `top`
    most negative): "segments" [{"id", "weight", "pixels", "region" (the region holding most of
    its pixels), "region_share" (that region's share of its pixels)}], strongest first, and
    "strongest": the region of the first (None when there is no such superpixel).
    """
    segments = np.asarray(segments)
    weights = np.asarray(weights, dtype=np.float64)
    regions = np.asarray(region_map)
    if segments.shape != regions.shape:
        raise ValueError(f"segments {segments.shape} and region map {regions.shape} differ in shape")
    counts = np.zeros((len(weights), len(names)), dtype=np.int64)
    np.add.at(counts, (segments.reshape(-1), regions.reshape(-1)), 1)
    order = np.argsort(-weights, kind="stable")
    supporting = [int(i) for i in order[:top] if weights[i] > 0]
    opposing = [int(i) for i in order[::-1][:top] if weights[i] < 0]
    return {"supporting": _segment_group(supporting, weights, counts, names),
            "opposing": _segment_group(opposing, weights, counts, names)}


def _segment_group(ids: list[int], weights: np.ndarray, counts: np.ndarray, names: tuple[str, ...]) -> dict:
    described = [{"id": i, "weight": round(float(weights[i]), 4), "pixels": int(counts[i].sum()),
                  "region": names[int(np.argmax(counts[i]))],
                  "region_share": round(float(counts[i].max() / max(counts[i].sum(), 1)), 4)} for i in ids]
    return {"segments": described, "strongest": described[0]["region"] if described else None}
