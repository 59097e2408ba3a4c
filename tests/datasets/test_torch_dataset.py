import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from dermkit.cases import save_cases
from dermkit.datasets.torch_dataset import CaseDataset, seed_worker
from dermkit.datasets.transforms import create_transform
from dermkit.errors import DataError
from dermkit.io import write_image

COLOURS = {"a": (255, 0, 0), "b": (0, 255, 0), "c": (0, 0, 255), "d": (10, 20, 30)}


@pytest.fixture
def table(tmp_path):
    """Four 12x16 single-colour PNGs with masks covering their left half."""
    rows = []
    mask = np.zeros((12, 16), bool)
    mask[:, :8] = True
    for (cid, colour), dx, tone, fitz in zip(COLOURS.items(), ["nevus", "melanoma", None, "unknown"], ["light", None, "dark", "tan"], [2, None, 6, 4]):
        write_image(tmp_path / f"{cid}.png", np.broadcast_to(np.array(colour, np.uint8), (12, 16, 3)).copy())
        write_image(tmp_path / f"{cid}_mask.png", mask)
        rows.append({"case_id": cid, "image_path": f"{cid}.png", "mask_path": f"{cid}_mask.png", "diagnosis": dx, "skin_tone": tone, "fitzpatrick": fitz})
    save_cases(pd.DataFrame(rows), tmp_path / "cases.parquet")
    return tmp_path / "cases.parquet"


def test_samples_from_a_table_path(table):
    ds = CaseDataset(table, with_mask=True)
    assert len(ds) == 4 and ds.classes == ["melanoma", "nevus"]
    assert ds.targets.tolist() == [1, 0, -1, -1]
    s = ds[0]
    assert s["case_id"] == "a" and s["label"] == 1
    assert s["image"].shape == (3, 12, 16) and s["image"].dtype == torch.float32
    assert torch.allclose(s["image"][:, 0, 0], torch.tensor([1.0, 0.0, 0.0]))
    assert s["mask"].shape == (1, 12, 16) and s["mask"][0, :, :8].all() and not s["mask"][0, :, 8:].any()
    assert (s["skin_tone"], s["fitzpatrick"]) == ("light", 2)
    assert (ds[1]["skin_tone"], ds[1]["fitzpatrick"]) == ("<none>", -1)
    assert "site" not in s  # group columns absent from the table are left out


def test_given_classes_and_transform_batch(table):
    tf = create_transform(8, train=True, seed=0, mean=(0, 0, 0), std=(1, 1, 1), color_jitter=0)
    ds = CaseDataset(table, classes=["nevus", "melanoma", "bcc"], transform=tf, with_mask=True)
    assert ds.targets.tolist() == [0, 1, -1, -1]
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch["image"].shape == (4, 3, 8, 8) and batch["mask"].shape == (4, 1, 8, 8)
    assert batch["label"].tolist() == [0, 1, -1, -1]
    assert batch["case_id"] == ["a", "b", "c", "d"]
    assert batch["fitzpatrick"].tolist() == [2, -1, 6, 4]
    # colour survives the geometry: image "c" is pure blue
    assert torch.allclose(batch["image"][2].mean(dim=(1, 2)), torch.tensor([0.0, 0.0, 1.0]), atol=1e-5)


def test_workers_are_seeded_from_the_loader_generator(table):
    def run():
        ds = CaseDataset(table, transform=create_transform(8, train=True, seed=0))
        loader = DataLoader(ds, batch_size=2, num_workers=2, worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(3))
        return torch.cat([b["image"] for b in loader])

    assert torch.equal(run(), run())


def test_diagnosis_outside_classes(table):
    with pytest.raises(DataError, match="diagnosis 'melanoma' of case 'b' is not one of the classes"):
        CaseDataset(table, classes=["nevus"])


def test_missing_and_corrupt_images_name_the_file(table):
    df = pd.read_parquet(table)
    (table.parent / "b.png").unlink()
    (table.parent / "c.png").write_bytes(b"not a png")
    ds = CaseDataset(df.assign(image_path=[str(table.parent / p) for p in df["image_path"]]))
    with pytest.raises(DataError, match=r"not found: .*b\.png"):
        ds[1]
    with pytest.raises(DataError, match=r"cannot decode.*c\.png"):
        ds[2]


def test_rows_without_images_or_masks_are_refused(table):
    df = pd.read_parquet(table)
    with pytest.raises(DataError, match="2 case.*image_available=False.*'b'"):
        CaseDataset(df.assign(image_available=[True, False, None, False]))
    with pytest.raises(DataError, match="with_mask=True but 1 case.*'d'"):
        CaseDataset(df.assign(mask_path=["x", "y", "z", None]), with_mask=True)
