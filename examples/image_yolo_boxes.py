"""Validate, convert and augment a YOLO box set; add automatic boxes for a plain photo.

Runs on ``../shared/datasets/images/yolo`` (220 frames, box files for ``img-0..8`` and a
``carimage.txt`` whose heights exceed 1.0)::

    .venv/bin/python examples/image_yolo_boxes.py [--out image_examples_output]

1. Read the YOLO labels with the frames' sizes; every problem is reported per file (the
   label file without an image, boxes reaching outside the frame, which are clipped).
2. Read ``carimage.txt`` against the car photo it belongs to: its out-of-range heights are
   reported and clipped, never kept silently.
3. Convert to COCO JSON and Pascal VOC XML and back, checking the boxes survive.
4. Multiply the labelled frames with box-aware augmentation (new files + YOLO labels).
5. Redo the car photo's boxes automatically (threshold + contours); every coordinate of
   the written YOLO file lies in [0, 1].
6. Write an exploration report of the frames (sizes, intensity, near-duplicate frames).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from labelwise.image import (
    AnnotationSet,
    augment_images,
    auto_label_images,
    convert_annotations,
    explore_images,
    load_images,
    read_coco,
    read_voc,
    read_yolo,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "images"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Path("image_examples_output"))
    args = ap.parse_args()
    yolo, out = args.data / "yolo", args.out / "yolo_boxes"
    out.mkdir(parents=True, exist_ok=True)

    frames = read_yolo(yolo / "labels", images_dir=yolo / "images")
    print(f"1. {len(frames.images)} frames, {frames.n_boxes} boxes; issues:")
    for issue in frames.issues[:6]:
        print("   ", issue)

    from PIL import Image

    with Image.open(args.data / "rules" / "car.jpeg") as im:
        car_size = im.size
    car = read_yolo(yolo / "labels", image_sizes={"carimage": car_size}, include_unlabeled=False)
    print("2. carimage.txt against car.jpeg", car_size)
    for issue in (i for i in car.issues if i.file == "carimage.txt"):
        print("   ", issue)

    coco = out / "frames.coco.json"
    convert_annotations("yolo", yolo / "labels", "coco", coco, images_dir=yolo / "images")
    convert_annotations("coco", coco, "voc", out / "voc")
    back = read_voc(out / "voc")
    a = np.array([b.box.to_xyxy() for im in read_coco(coco).images for b in im.boxes])
    b = np.array([b.box.to_xyxy() for im in back.images for b in im.boxes])
    print(
        f"3. YOLO -> COCO -> VOC: {len(b)} boxes, max coordinate change {np.abs(a - b).max():.2e} px"
    )

    labelled = AnnotationSet([im for im in frames.images if im.boxes], classes=frames.classes)
    col = load_images([yolo / "images" / im.image for im in labelled.images])
    res = augment_images(
        col, out / "augmented", preset="detection", n_per_image=3, annotations=labelled, seed=0
    )
    print(
        f"4. augmented: {int(res.manifest['augmented'].sum())} new images, "
        f"{res.annotations.n_boxes} boxes over {len(res.manifest)} images -> {out / 'augmented'}"
    )

    auto = auto_label_images(
        load_images([args.data / "rules" / "car.jpeg"]), out / "auto_labels", label="car"
    )
    vals = [
        float(v)
        for line in (out / "auto_labels" / "car.txt").read_text().splitlines()
        for v in line.split()[1:]
    ]
    print(
        f"5. automatic boxes for car.jpeg: {auto.n_boxes}, coordinates within [{min(vals):.3f}, {max(vals):.3f}]"
    )

    rep = explore_images(yolo / "images", out=out / "frames_report.html", title="YOLO frames")
    print(f"6. report: {out / 'frames_report.html'} ({', '.join(rep.section_titles)})")


if __name__ == "__main__":
    main()
