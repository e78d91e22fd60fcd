"""The fixed vocabularies shared by every layer: FER2013 classes and face regions."""

FER2013_CLASSES = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")

# Face regions, in the order used for region label maps (uint8 index = position).
REGIONS = ("forehead", "brows", "eyes", "nose", "cheeks", "mouth", "chin", "outside")
OUTSIDE = REGIONS.index("outside")
