from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelwise.errors import DataError, MissingDependencyError, NotFittedError
from labelwise.image import ImageEmbedder, cluster_images, embed_images, load_images, select_diverse

torch = pytest.importorskip("torch")


def test_classical_embeddings_cluster_two_kinds(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(6):
        stripes = np.zeros((48, 48, 3), np.uint8)
        stripes[:, ::6] = (255, 60, 60)
        Image.fromarray(np.roll(stripes, i, axis=1)).save(tmp_path / f"stripes_{i}.png")
        blob = np.clip(rng.normal(60, 10, (48, 48, 3)), 0, 255).astype(np.uint8)
        blob[16:32, 16:32] = (40, 200, 40)
        Image.fromarray(blob).save(tmp_path / f"blob_{i}.png")
    emb, ids, failures = embed_images(tmp_path)
    assert failures == [] and emb.shape[0] == 12
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    labels, centers, sil = cluster_images(emb, 2, seed=0)
    kinds = np.array([i.split("_")[0] for i in ids])
    # each cluster is one kind
    for c in (0, 1):
        assert len(set(kinds[labels == c])) == 1
    assert sil > 0.3 and centers.shape == (2, emb.shape[1])
    with pytest.raises(DataError, match="n_clusters"):
        cluster_images(emb, 50)


def _tiny_backbone() -> torch.nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
        ).eval()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_backbones_by_path_torchscript_and_onnx_agree(tmp_path: Path) -> None:
    net = _tiny_backbone()
    example = torch.zeros(1, 3, 32, 32)
    ts = tmp_path / "backbone.pt"
    torch.jit.trace(net, example).save(str(ts))
    onnx_path = tmp_path / "backbone.onnx"
    torch.onnx.export(net, example, str(onnx_path), dynamo=False, opset_version=13)
    rng = np.random.default_rng(1)
    imgs = [rng.integers(0, 255, (40, 50, 3), dtype=np.uint8) for _ in range(5)]
    a = ImageEmbedder(ts, input_size=32).fit_transform(imgs)
    b = ImageEmbedder(onnx_path, input_size=32).fit_transform(imgs)
    assert a.shape == (5, 8)
    np.testing.assert_allclose(a, b, atol=1e-4)
    # the same as running the network by hand on the preprocessed batch
    emb = ImageEmbedder(ts, input_size=32)
    with torch.no_grad():
        raw = net(torch.from_numpy(emb._cnn_batch(imgs))).numpy()
    np.testing.assert_allclose(a, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)


def test_backbone_errors(tmp_path: Path) -> None:
    imgs = [np.zeros((10, 10, 3), np.uint8)]
    with pytest.raises(DataError, match="neither 'classical'"):
        ImageEmbedder(tmp_path / "none.onnx").fit(imgs)
    sd = tmp_path / "weights.pt"
    torch.save(_tiny_backbone().state_dict(), str(sd))
    with pytest.raises(DataError, match="state dict"):
        ImageEmbedder(sd).fit(imgs)
    # a pickled model whose defining package is not importable
    import sys
    import types

    mod = types.ModuleType("fake_vision_pkg")

    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.mean(dim=(2, 3))

    Net.__module__ = "fake_vision_pkg"
    Net.__qualname__ = "Net"
    mod.Net = Net  # type: ignore[attr-defined]
    sys.modules["fake_vision_pkg"] = mod
    try:
        torch.save(Net(), str(tmp_path / "full.pt"))
    finally:
        del sys.modules["fake_vision_pkg"]
    with pytest.raises(MissingDependencyError, match="fake_vision_pkg"):
        ImageEmbedder(tmp_path / "full.pt").fit(imgs)
    with pytest.raises(NotFittedError, match="not fitted"):
        ImageEmbedder().transform(imgs)
    (tmp_path / "x.bin").write_bytes(b"x")
    with pytest.raises(DataError, match="unknown backbone file type"):
        ImageEmbedder(tmp_path / "x.bin").fit(imgs)


def test_select_diverse_covers_space() -> None:
    X = np.array([[0, 0], [0, 0.1], [0.1, 0], [5, 5], [10, 0], [10, 0.1]])
    picked = select_diverse(X, 3, seed=0)
    assert len(set(picked.tolist())) == 3
    groups = {0: 0, 1: 0, 2: 0, 3: 1, 4: 2, 5: 2}
    assert {groups[i] for i in picked.tolist()} == {0, 1, 2}
    more = select_diverse(X, 2, exclude=[0, 3])
    assert 0 not in more and 3 not in more and {groups[i] for i in more.tolist()} >= {2}
    with pytest.raises(DataError, match="cannot select"):
        select_diverse(X, 10)


def test_embed_shared_yolo_frames_two_scenes(shared_datasets: Path) -> None:
    col = load_images(shared_datasets / "images" / "yolo" / "images")
    sub = col.subset(np.arange(0, len(col), 10))
    emb, _ids, _ = embed_images(sub)
    _, _, sil = cluster_images(emb, 2, seed=0)
    assert emb.shape[0] == len(sub) and sil > 0.1
