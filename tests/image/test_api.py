from __future__ import annotations

import subprocess
import sys

import labelwise.image as image


def test_all_names_resolve_and_are_sorted_unique() -> None:
    assert len(image.__all__) == len(set(image.__all__))
    for name in image.__all__:
        assert getattr(image, name) is not None, name
    public = {n for n in dir(image) if not n.startswith("_")}
    modules = {
        "augment",
        "classify",
        "detect",
        "embed",
        "errors",
        "explore",
        "features",
        "formats",
        "geometry",
        "io",
        "preprocess",
        "rules",
        "segment",
        "train",
        "annotations",
    }
    assert public - set(image.__all__) <= modules


def test_import_stays_light() -> None:
    code = (
        "import sys, labelwise.image; "
        "heavy = [m for m in ('cv2', 'PIL', 'torch', 'albumentations', 'matplotlib', 'sklearn') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_image_errors_are_labelwise_errors() -> None:
    from labelwise.errors import DataError, LabelwiseError

    assert issubclass(image.ImageReadError, DataError)
    assert issubclass(image.AnnotationError, DataError)
    assert issubclass(image.GeometryError, LabelwiseError)
