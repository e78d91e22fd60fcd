"""Synthetic facial-expression faces: cartoon faces with exact face-region and evidence masks.

`faces` draws whole faces (the public functions below); `geometry` holds each class's
expression and the face-local coordinates, `parts` the brows, eyes, nose, cheeks and mouth
with the regions they lie in, and `scene` everything around them.
"""

from generator.data.synthetic.faces import (
                                            EVIDENCE_REGIONS,
                                            FaceParams,
                                            SyntheticFaces,
                                            make_synthetic_faces,
                                            render_faces,
                                            render_part_ink,
                                            render_region_masks,
                                            sample_face_params,
)
from generator.data.synthetic.scene import SHORTCUT_BOX

__all__ = ["EVIDENCE_REGIONS", "SHORTCUT_BOX", "FaceParams", "SyntheticFaces", "make_synthetic_faces",
           "render_faces", "render_part_ink", "render_region_masks", "sample_face_params"]
