"""Is this the same picture? Geometric verification of a near-duplicate candidate with local features.

ORB keypoints matched with Lowe's ratio test, a RANSAC homography from the candidate onto the photo, then the two
aligned pictures compared block by block. A crop, a re-shoot from a screen or print, a screenshot or a recompressed
copy aligns and agrees almost everywhere; a burst shot or another photo of the same scene aligns its background but
disagrees where people moved or the viewpoint changed (parallax), so it is only *similar*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

#: Long side at which features are found and pictures compared: enough keypoints, a few milliseconds per picture.
MATCH_SIDE = 480
MIN_INLIERS = 20
#: Of the textured blocks both pictures show, the fraction that must agree (normalised correlation ≥ BLOCK_NCC).
#: Measured on real photos: re-shoots 0.945–1.0, off-centre crops ≥ 0.994; frames 1 s apart ≤ 0.86 but for a static
#: scene (0.977).
SAME_AGREEMENT = 0.94
BLOCK_NCC = 0.8
BLOCK = 16
#: The two must share at least this fraction of the smaller picture.
MIN_OVERLAP = 0.35


@dataclass(frozen=True)
class Verdict:
    inliers: int
    overlap: float
    agreement: float

    @property
    def same(self) -> bool:
        return self.inliers >= MIN_INLIERS and self.overlap >= MIN_OVERLAP and self.agreement >= SAME_AGREEMENT

    @property
    def aligned(self) -> bool:
        """The same scene from about the same place (a burst, a second exposure): ``similar`` but not ``same``."""
        return self.inliers >= MIN_INLIERS and self.overlap >= MIN_OVERLAP


NONE = Verdict(0, 0.0, 0.0)


def grey(image: Image.Image) -> np.ndarray:
    small = image.convert("L")
    if max(small.size) > MATCH_SIDE:
        small = small.copy()
        small.thumbnail((MATCH_SIDE, MATCH_SIDE), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(small))


def _features(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    orb = cv2.ORB_create(nfeatures=1500, fastThreshold=10)  # type: ignore[attr-defined]
    keypoints, descriptors = orb.detectAndCompute(pixels, None)
    return np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2), descriptors


def _agreement(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> float:
    import cv2

    a = cv2.GaussianBlur(a.astype(np.float32), (0, 0), 1.5)
    b = cv2.GaussianBlur(b.astype(np.float32), (0, 0), 1.5)
    textured = agreed = 0
    h, w = a.shape
    for y in range(0, h - BLOCK + 1, BLOCK):
        for x in range(0, w - BLOCK + 1, BLOCK):
            if not valid[y:y + BLOCK, x:x + BLOCK].all():
                continue
            pa, pb = a[y:y + BLOCK, x:x + BLOCK].ravel(), b[y:y + BLOCK, x:x + BLOCK].ravel()
            sa, sb = pa.std(), pb.std()
            if sa < 4 and sb < 4:
                continue  # flat in both: says nothing
            textured += 1
            if sa >= 1 and sb >= 1 and float(np.mean((pa - pa.mean()) * (pb - pb.mean())) / (sa * sb)) >= BLOCK_NCC:
                agreed += 1
    return agreed / textured if textured >= 8 else 0.0


def compare(photo: Image.Image, candidate: Image.Image) -> Verdict:
    """Align ``candidate`` onto ``photo`` and say how much of the two is one picture."""
    import cv2

    a, b = grey(photo), grey(candidate)
    pa, da = _features(a)
    pb, db = _features(b)
    if da is None or db is None or len(da) < MIN_INLIERS or len(db) < MIN_INLIERS:
        return NONE
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(db, da, k=2)
    good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < 0.8 * m[1].distance]
    if len(good) < MIN_INLIERS:
        return NONE
    src = pb[[m.queryIdx for m in good]]
    dst = pa[[m.trainIdx for m in good]]
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
    if homography is None:
        return NONE
    inliers = int(mask.sum())
    det = float(np.linalg.det(homography[:2, :2]))
    if inliers < MIN_INLIERS or not 0.01 < det < 100:
        return Verdict(inliers, 0.0, 0.0)
    h, w = a.shape
    warped = cv2.warpPerspective(b, homography, (w, h))
    valid = cv2.warpPerspective(np.ones_like(b), homography, (w, h), flags=cv2.INTER_NEAREST) > 0
    covered_a = float(valid.mean())
    back = cv2.warpPerspective(np.ones_like(a), np.linalg.inv(homography), (b.shape[1], b.shape[0]),
                               flags=cv2.INTER_NEAREST) > 0
    overlap = max(covered_a, float(back.mean()))
    return Verdict(inliers, round(overlap, 3), round(_agreement(a, warped, valid), 3))
