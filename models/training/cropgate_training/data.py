"""Finding the images, grouping them by source and leaf folder, and which sets may train the shipped model."""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .preprocess import load_rgb

IMAGE_EXTS = {".jpg", ".jpeg", ".png"}
NORMAL_SOURCE = "rice-leaf"  # the lab rice source; field rice sources live under NORMAL_FIELD
NORMAL_FIELD = "rice-field"
# Which sets may train the shipped model (../shared/data/README.md, "Which sets may train the shipped
# model"): CWFID (weeds-field) and phone-photos are non-commercial, unseen-crops are held apart by design.
MEASUREMENT_ONLY = ("weeds-field",)
EXCLUDED = ("unseen-crops", "phone-photos")
LICENCES = {
    "rice-leaf": "CC BY 4.0 (UCI Rice Leaf Diseases; augmented crops)",
    "rice-field/roboflow-rice-plant-pest": "CC BY 4.0 (Roboflow Rice Plant Pest Detection v1)",
    "rice-field/dnth-roboflow-rice-mix": "CC BY 4.0 (Roboflow rice - v1 export)",
    "coco": "COCO images: their Flickr licences (mostly CC BY)",
    "photos": "public domain / CC0 (skimage), CC BY 2.0 (sklearn), GPL-2+ (mate-backgrounds)",
    "apple-leaf": "PlantVillage: CC BY 3.0 / CC BY-SA 3.0",
    "paddy-weeds": "MIT (Rice-Crop-Insects-and-Weed-Dataset)",
    "seedlings": "CC BY-SA 4.0 (Aarhus Plant Seedlings)",
    "chilli-field": "CC BY 4.0 (README) / GPL-2.0 (LICENSE)",
    "sugarcane-field": "CC BY 4.0 upstream",
    "weeds-field": "CWFID: non-commercial research only (measurement only)",
}
REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "test" / "fixtures" / "images"


def default_data_dir() -> Path:
    return Path(os.environ.get("CROPGATE_DATA", REPO.parent / "shared" / "data"))


@dataclass(frozen=True)
class Item:
    path: str
    group: str  # leaf folder, e.g. "rice-leaf/bacterial", "rice-field/dnth-roboflow-rice-mix/brown_spot", "coco"
    source: str  # photo source: "rice-leaf", "rice-field/<source>", or a negative set such as "paddy-weeds"

    @property
    def key(self) -> str:
        """The photo's name inside the data set ("rice-leaf/brownspot/x.jpg"), whatever the data folder is called
        or how its path was spelled: what seeds and cache keys use, so a rerun draws the same views."""
        return f"{self.group}/{os.path.basename(self.path)}"

    @property
    def normal(self) -> bool:
        return self.source == NORMAL_SOURCE or self.source.startswith(NORMAL_FIELD + "/")

    @property
    def trainable(self) -> bool:
        """May train the shipped model (licence); the rest is for measurement only."""
        return self.source not in MEASUREMENT_ONLY and not self.source.startswith(EXCLUDED)


def _images(folder: Path) -> List[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


def _tree(root: Path, source: str, group: str) -> List[Item]:
    """Images of root and of every folder below it; group = the folder's path under the data dir."""
    items = [Item(str(p), group, source) for p in _images(root)]
    for sub in sorted(d for d in root.iterdir() if d.is_dir()):
        items += _tree(sub, source, f"{group}/{sub.name}")
    return items


def discover(data_dir: Path, trainable_only: bool = False) -> List[Item]:
    """rice-leaf/<disease>/*, rice-field/<source>/**, negatives/<source>/**; never EXCLUDED."""
    data_dir = Path(data_dir)
    items: List[Item] = _tree(data_dir / NORMAL_SOURCE, NORMAL_SOURCE, NORMAL_SOURCE)
    field = data_dir / NORMAL_FIELD
    for src in sorted(d for d in field.iterdir() if d.is_dir()) if field.is_dir() else []:
        items += _tree(src, f"{NORMAL_FIELD}/{src.name}", f"{NORMAL_FIELD}/{src.name}")
    for src in sorted(d for d in (data_dir / "negatives").iterdir() if d.is_dir()):
        items += _tree(src, src.name, src.name)
    assert not any(x in it.path.split(os.sep) for it in items for x in EXCLUDED)
    return [i for i in items if i.trainable] if trainable_only else items


def discover_unseen(data_dir: Path, crop: str) -> List[Item]:
    """unseen-crops/<crop>/**: evaluation of enrolment only, never training."""
    root = Path(data_dir) / "unseen-crops" / crop
    return _tree(root, f"unseen-crops/{crop}", f"unseen-crops/{crop}") if root.is_dir() else []


def sources(items: Sequence[Item], normal: Optional[bool] = None) -> List[str]:
    return sorted({i.source for i in items if normal is None or i.normal == normal})


def class_name(item: Item, rice_per_disease: bool = False) -> str:
    """Training class: every negative leaf folder is its own class; all rice (lab and field) is one class
    unless asked (then one per leaf folder)."""
    if item.normal and not rice_per_disease:
        return "rice"
    return item.group


def _thumb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB").resize((32, 32), Image.BILINEAR), dtype=np.float32)


def fixture_matches(items: Sequence[Item], fixtures_dir: Path = FIXTURES, tol: float = 3.0) -> Dict[str, str]:
    """Data files that are (re-encodings of) committed fixtures: {data path: fixture file}.
    Candidates must have the same size; then a 32x32 thumbnail must agree within tol grey levels."""
    fixtures = {}
    for f in sorted(fixtures_dir.glob("*.jpg")) if fixtures_dir.is_dir() else []:
        img = load_rgb(f)
        fixtures.setdefault(img.size, []).append((f.name, _thumb(img)))
    found: Dict[str, str] = {}
    for it in items:
        with Image.open(it.path) as im:
            size = im.size
        if size not in fixtures:
            continue
        t = _thumb(load_rgb(it.path))
        for name, ft in fixtures[size]:
            if float(np.abs(t - ft).mean()) < tol:
                found[it.path] = name
    return found


def _seeded_groups(items: Sequence[Item], seed: int) -> Iterator[Tuple[List[Item], np.random.Generator]]:
    """Each group's members in path order, with a generator seeded by (seed, group name): a group's draw does
    not depend on which other groups exist."""
    groups: Dict[str, List[Item]] = {}
    for it in items:
        groups.setdefault(it.group, []).append(it)
    for g in sorted(groups):
        yield sorted(groups[g], key=lambda i: i.path), np.random.default_rng([seed, zlib.crc32(g.encode())])


def limit_per_group(items: Sequence[Item], n: Optional[int], seed: int = 0) -> List[Item]:
    """Keep at most n per group (seeded): for smoke runs."""
    if not n:
        return list(items)
    out: List[Item] = []
    for members, rng in _seeded_groups(items, seed):
        out += [members[i] for i in sorted(rng.permutation(len(members))[:n])]
    return out


def summary(items: Sequence[Item]) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for it in items:
        out[it.group] = out.get(it.group, 0) + 1
    return dict(sorted(out.items()))
