"""The fixed vocabularies shared by every layer: classes, subjects and region schemes."""

FER2013_CLASSES = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")

# Face regions, in the order used for region label maps (uint8 index = position).
REGIONS = ("forehead", "brows", "eyes", "nose", "cheeks", "mouth", "chin", "outside")
OUTSIDE = REGIONS.index("outside")

# A neutral 3x3 grid for data that are not faces, row by row from the top left.
GRID_REGIONS = ("top-left", "top", "top-right", "left", "centre", "right", "bottom-left", "bottom", "bottom-right")
# `regions: none`: one region, the whole image (no region claims are made).
WHOLE_IMAGE = ("image",)

DIGIT_CLASSES = tuple(str(digit) for digit in range(10))

# What a report calls its subject (data.subject); `expressions` means the images are faces.
SUBJECTS = ("expressions", "digits", "images")
FACE_FORMATS = ("synthetic", "fer2013-csv", "ntu-csv")


def default_subject(data_format: str) -> str:
    """The subject a data format implies: faces' expressions, handwritten digits, or images."""
    return "expressions" if data_format in FACE_FORMATS else "digits" if data_format == "sklearn-digits" else "images"


def default_classes(data_format: str) -> tuple[str, ...]:
    """The class names a format implies: 0-9 for sklearn-digits, FER2013's seven otherwise."""
    return DIGIT_CLASSES if data_format == "sklearn-digits" else FER2013_CLASSES
