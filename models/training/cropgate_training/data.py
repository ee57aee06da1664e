"""Finding the images, grouping them, and the seeded per-group train/validation split."""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .preprocess import load_rgb

IMAGE_EXTS = {".jpg", ".jpeg", ".png"}
NORMAL_SOURCE = "rice-leaf"
# Never trained on: unseen-crops is the yardstick for enrolling new crops; phone-photos are for decode tests.
EXCLUDED = ("unseen-crops", "phone-photos")
REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "test" / "fixtures" / "images"


def default_data_dir() -> Path:
    return Path(os.environ.get("CROPGATE_DATA", REPO.parent / "shared" / "data"))


@dataclass(frozen=True)
class Item:
    path: str
    group: str  # leaf folder, e.g. "rice-leaf/bacterial", "apple-leaf/healthy", "coco"
    source: str  # top-level source, e.g. "rice-leaf", "apple-leaf", "weeds-field"

    @property
    def normal(self) -> bool:
        return self.source == NORMAL_SOURCE


def _images(folder: Path) -> List[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


def discover(data_dir: Path) -> List[Item]:
    """rice-leaf/<disease>/*, negatives/<source>/* and negatives/<source>/<sub>/*; never EXCLUDED."""
    data_dir = Path(data_dir)
    items: List[Item] = []
    for sub in sorted((data_dir / NORMAL_SOURCE).iterdir()):
        if sub.is_dir():
            items += [Item(str(p), f"{NORMAL_SOURCE}/{sub.name}", NORMAL_SOURCE) for p in _images(sub)]
    for src in sorted((data_dir / "negatives").iterdir()):
        if not src.is_dir():
            continue
        items += [Item(str(p), src.name, src.name) for p in _images(src)]
        for sub in sorted(d for d in src.iterdir() if d.is_dir()):
            items += [Item(str(p), f"{src.name}/{sub.name}", src.name) for p in _images(sub)]
    assert not any(x in it.path.split(os.sep) for it in items for x in EXCLUDED)
    return items


def class_name(item: Item, rice_per_disease: bool = False) -> str:
    """Training class: every negative leaf folder is its own class; rice is one class unless asked."""
    if item.normal and not rice_per_disease:
        return NORMAL_SOURCE
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


def split(
    items: Sequence[Item], val_fraction: float = 0.2, seed: int = 0, force_val: Iterable[str] = ()
) -> Tuple[List[Item], List[Item]]:
    """Stratified per group: round(val_fraction * n) of each group go to validation, forced paths first."""
    forced = set(force_val)
    train: List[Item] = []
    val: List[Item] = []
    for members, rng in _seeded_groups(items, seed):
        n_val = max(1, int(round(val_fraction * len(members)))) if len(members) > 1 else 0
        order = [members[i] for i in rng.permutation(len(members))]
        order.sort(key=lambda i: i.path not in forced)  # stable: forced first, rest in seeded order
        n_val = max(n_val, sum(i.path in forced for i in members))
        val += order[:n_val]
        train += order[n_val:]
    return train, val


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
