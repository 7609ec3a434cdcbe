"""Faces (a fact, never a risk: consent is checked separately): how many and where, on the frame with the most."""

from __future__ import annotations

from typing import Any, ClassVar

from models.faces import count_faces, face_model
from workers.screening.contract import Detector, Found, Screening


class FacesDetector(Detector):
    name = "faces"
    codes: ClassVar[frozenset[str]] = frozenset({"faces"})

    def detect(self, screening: Screening) -> list[Found]:
        most: dict[str, Any] = {"count": 0, "boxes": [], "t": None}
        for index, frame in enumerate(screening.media.frames):
            count, boxes = count_faces(frame.image, screening.face_hints.get(index, []))
            if count > most["count"]:
                most = {"count": count, "boxes": boxes, "t": frame.t}
        screening.faces = int(most["count"])
        model = face_model()
        most["detector"] = {"name": model.name, "version": model.version()}
        return [Found("faces", 1.0, most)] if most["count"] else []
